import { GatehouseError } from '@gatehouse/common';
import type {
  BackendInfo,
  DatabaseHealth,
  DatabaseInfo,
  EngineRegistration,
  EngineState,
  TunnelConnection,
} from '@gatehouse/tunnel';

/** The database service has no connected engine. Shown to clients as "no engine serves database 'x'". */
export class NoEngineError extends GatehouseError {
  readonly dbService: string;
  /** Engines that serve the database but are draining (they take no new session). */
  readonly draining: readonly string[];

  constructor(dbService: string, options?: ErrorOptions & { readonly draining?: readonly string[] }) {
    const draining = options?.draining ?? [];
    super(
      'GH_ERR_NO_ENGINE',
      draining.length === 0
        ? `no engine serves database '${dbService}'`
        : `no engine serves database '${dbService}' right now: ${drainingText(draining)}`,
      options,
    );
    this.dbService = dbService;
    this.draining = draining;
  }
}

/** "engine a is draining" / "engines a, b are draining", for a client's ERR. */
export function drainingText(engineIds: readonly string[]): string {
  return engineIds.length === 1 ? `engine ${engineIds[0]} is draining` : `engines ${engineIds.join(', ')} are draining`;
}

/** One connected engine as the registry knows it. */
export interface EngineEntry {
  readonly engineId: string;
  readonly version: string;
  readonly connection: TunnelConnection;
  readonly remoteAddress: string;
  readonly connectedAt: Date;
  databases: ReadonlyMap<string, DatabaseInfo>;
  /** What the engine last said: a draining engine gets no new sessions. */
  state: EngineState;
}

/** An engine that can take a session for one database service, with what it last reported. */
export interface EngineCandidate {
  readonly engine: EngineEntry;
  readonly database: DatabaseInfo;
}

export interface DatabaseListing {
  readonly name: string;
  readonly engines: readonly {
    readonly engineId: string;
    readonly health: DatabaseHealth;
    readonly serverVersion: string;
    readonly labels: Readonly<Record<string, string>>;
    /** "TLSv1.3 TLS_AES_256_GCM_SHA384" as the engine's last health check negotiated it; absent without TLS. */
    readonly tls?: string;
    /** The engine's monitor view of each backend, when it sends one. */
    readonly backends?: readonly BackendInfo[];
  }[];
}

const HEALTH_RANK: Record<DatabaseHealth, number> = { healthy: 0, unknown: 1, unhealthy: 2 };

/** Which engines serve which database service, fed by REGISTER/UPDATE frames. */
export class EngineRegistry {
  readonly #engines = new Map<string, EngineEntry>();

  /** Adds an engine; an older connection with the same engine id is stale and is returned for closing. */
  add(engine: EngineEntry): EngineEntry | undefined {
    const previous = this.#engines.get(engine.engineId);
    this.#engines.set(engine.engineId, engine);
    return previous?.connection === engine.connection ? undefined : previous;
  }

  /** Replaces the engine's databases with a new snapshot. */
  update(connection: TunnelConnection, registration: EngineRegistration): void {
    const entry = this.#engines.get(registration.engineId);
    if (entry?.connection !== connection) return;
    entry.databases = toMap(registration.databases);
    entry.state = registration.state ?? 'serving';
  }

  /** Forgets the engine if this connection is still the one registered under its id. */
  remove(connection: TunnelConnection, engineId: string): void {
    if (this.#engines.get(engineId)?.connection === connection) this.#engines.delete(engineId);
  }

  get size(): number {
    return this.#engines.size;
  }

  engines(): EngineEntry[] {
    return [...this.#engines.values()];
  }

  /**
   * Every engine serving `dbService`, best first: healthy, then unknown, then unhealthy, shuffled
   * within each rank so sessions spread. Callers try them in order until one accepts. Draining
   * engines are left out: when only draining ones serve it, the error names them.
   */
  pickEngines(dbService: string): EngineCandidate[] {
    const candidates: EngineCandidate[] = [];
    const draining: string[] = [];
    for (const engine of this.#engines.values()) {
      const database = engine.databases.get(dbService);
      if (database === undefined || engine.connection.closed) continue;
      if (engine.state === 'draining') draining.push(engine.engineId);
      else candidates.push({ engine, database });
    }
    if (candidates.length === 0) throw new NoEngineError(dbService, { draining });
    // Fisher–Yates, then a stable sort by health keeps the shuffle within each rank.
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    return candidates.sort((a, b) => HEALTH_RANK[a.database.health] - HEALTH_RANK[b.database.health]);
  }

  /** The best engine for `dbService`; use pickEngines to fall back to the next. */
  pickEngine(dbService: string): EngineCandidate {
    return this.pickEngines(dbService)[0]!;
  }

  /** The version to announce for `dbService`: what its healthiest engine last reported, if any. */
  serverVersion(dbService: string): string | undefined {
    try {
      return this.pickEngines(dbService).find((c) => c.database.serverVersion !== '')?.database.serverVersion;
    } catch {
      return undefined;
    }
  }

  /** Databases and their engines, for `gatectl db ls`. */
  listDatabases(): DatabaseListing[] {
    const byName = new Map<string, DatabaseListing['engines'][number][]>();
    for (const engine of this.#engines.values()) {
      for (const db of engine.databases.values()) {
        let list = byName.get(db.name);
        if (list === undefined) {
          list = [];
          byName.set(db.name, list);
        }
        list.push({
          engineId: engine.engineId,
          health: db.health,
          serverVersion: db.serverVersion,
          labels: db.labels,
          ...(db.tlsProtocol !== undefined ? { tls: `${db.tlsProtocol} ${db.tlsCipher ?? ''}`.trim() } : {}),
          ...(db.backends !== undefined ? { backends: db.backends } : {}),
        });
      }
    }
    return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, engines]) => ({ name, engines }));
  }
}

export function toMap(databases: readonly DatabaseInfo[]): Map<string, DatabaseInfo> {
  return new Map(databases.map((db) => [db.name, db]));
}
