// The engine's metrics on prom-client (docs/metrics.md). The relay's hot path touches only
// plain numbers and per-session cached histogram children (session-observer.ts); byte counts
// are kept per database in plain objects and read at scrape time.
import { CellHistogram, LATENCY_BUCKETS } from '@gatehouse/common/metrics';
import type { DatabaseInfo } from '@gatehouse/tunnel';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RelayCounters } from '../session/relay.js';
import type { UpstreamTlsCounters } from '../session/session.js';

/** Why a session or a command was refused (docs/metrics.md); `hook` is reserved for login hooks. */
export type DenialReason = 'role' | 'lock' | 'limit' | 'policy' | 'hook' | 'token';
/** How a session stream ended up: logged in, refused by policy, or failed (database, internal). */
export type SessionOutcome = 'started' | 'refused' | 'failed' | 'rejected';
export type CommandKindLabel = 'query' | 'execute' | 'prepare' | 'other';

export interface CreateEngineMetricsOptions {
  readonly registry: Registry;
  readonly engineId: string;
  readonly databases: () => readonly DatabaseInfo[];
  /** Whether the tunnel is connected now (undefined: no tunnel configured). */
  readonly tunnelConnected: () => boolean | undefined;
  /** Record command latency per command (default true; the bench turns it off to compare). */
  readonly commandLatency?: boolean;
}

/** The cached children one session records into: resolved once, used per command. */
export interface SessionMetricChildren {
  readonly latency: Readonly<Record<CommandKindLabel, { observe(seconds: number): void }>> | undefined;
  readonly errors: (errClass: string) => { inc(): void };
  readonly denials: (reason: DenialReason) => { inc(): void };
}

export class EngineMetrics {
  readonly registry: Registry;
  sessionsOpen = 0;
  sessionsStarted = 0;
  /** Database-leg TLS handshakes, full and resumed: sessions add to it, the scrape reads it. */
  readonly upstreamTls: UpstreamTlsCounters = { full: 0, resumed: 0 };
  /** Listeners that threw (a tunnel stream's or a session's); each ended its session only. */
  handlerErrors = 0;
  /**
   * Sessions held by backpressure now: the client side has taken no credit back and the relay's
   * last write was refused, so the database socket waits for 'drain'. Read at scrape time; the
   * engine sets it to count its live streams.
   */
  streamsStalled: () => number = () => 0;
  /** Relay byte and command counts, one object per database, summed at scrape. */
  readonly #counters = new Map<string, RelayCounters>();
  readonly #live = new Map<string, number>();
  readonly #commandSeconds: CellHistogram<'db' | 'kind'>;
  readonly #loginSeconds: Histogram<'db'>;
  readonly #sessions: Counter<'db' | 'outcome'>;
  readonly #denials: Counter<'db' | 'reason'>;
  readonly #errPackets: Counter<'db' | 'class'>;
  readonly #migrated: Counter<'db'>;
  readonly #migrationsRefused: Counter<'db' | 'reason'>;
  readonly #children = new Map<string, SessionMetricChildren>();
  readonly #commandLatency: boolean;

  constructor(options: CreateEngineMetricsOptions) {
    const registry = options.registry;
    this.registry = registry;
    this.#commandLatency = options.commandLatency ?? true;
    const registers = [registry];
    const engine = options.engineId;
    this.#commandSeconds = new CellHistogram({
      name: 'gatehouse_engine_command_seconds',
      help: 'Time from a command reaching the engine to the end of the database reply, by database service and command kind.',
      labelNames: ['db', 'kind'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.#loginSeconds = new Histogram({
      name: 'gatehouse_engine_upstream_login_seconds',
      help: "Time to authorize a session and log in to the database on the person's behalf, by database service.",
      labelNames: ['db'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.#sessions = new Counter({
      name: 'gatehouse_engine_sessions_total',
      help: 'Session streams by outcome: started, refused (policy), failed (database or internal), rejected (not served here, shutting down).',
      labelNames: ['db', 'outcome'],
      registers,
    });
    this.#denials = new Counter({
      name: 'gatehouse_engine_denials_total',
      help: 'Logins and commands the engine refused, by reason: role, lock, limit, policy, hook.',
      labelNames: ['db', 'reason'],
      registers,
    });
    this.#migrated = new Counter({
      name: 'gatehouse_engine_sessions_migrated_total',
      help: 'Sessions this engine moved to a peer engine (live migration, docs/migration.md).',
      labelNames: ['db'],
      registers,
    });
    this.#migrationsRefused = new Counter({
      name: 'gatehouse_engine_migrations_refused_total',
      help: 'Sessions a drain could not move within migration.wait and closed, by the reason that held (transaction, temporary_table, no_peer…).',
      labelNames: ['db', 'reason'],
      registers,
    });
    this.#errPackets = new Counter({
      name: 'gatehouse_engine_err_packets_total',
      help: 'ERR packets the database sent in reply to commands, by SQLSTATE class.',
      labelNames: ['db', 'class'],
      registers,
    });
    const counters = this.#counters;
    const live = this.#live;
    const upstreamTls = this.upstreamTls;
    new Counter({
      name: 'gatehouse_engine_upstream_tls_handshakes_total',
      help: 'TLS handshakes with databases for sessions, by whether an earlier TLS session was resumed.',
      labelNames: ['resumed'],
      registers,
      collect() {
        this.reset();
        this.inc({ resumed: 'false' }, upstreamTls.full);
        this.inc({ resumed: 'true' }, upstreamTls.resumed);
      },
    });
    const handlerErrors = (): number => this.handlerErrors;
    const streamsStalled = (): number => this.streamsStalled();
    new Counter({
      name: 'gatehouse_engine_handler_errors_total',
      help: 'Stream and socket handlers that threw; each ended its session only.',
      registers,
      collect() {
        this.reset();
        this.inc(handlerErrors());
      },
    });
    new Gauge({
      name: 'gatehouse_engine_streams_stalled',
      help: 'Sessions whose client stopped reading: no tunnel credit left and the relay waiting for drain.',
      registers,
      collect() {
        this.set(streamsStalled());
      },
    });
    new Gauge({
      name: 'gatehouse_engine_sessions',
      help: 'Sessions relaying now, by database service and engine.',
      labelNames: ['db', 'engine'],
      registers,
      collect() {
        this.reset();
        for (const [db, n] of live) this.set({ db, engine }, n);
      },
    });
    new Counter({
      name: 'gatehouse_engine_bytes_total',
      help: 'Bytes relayed, by database service and direction (from_client, to_client).',
      labelNames: ['db', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const [db, c] of counters) {
          this.inc({ db, direction: 'from_client' }, c.bytesFromClient);
          this.inc({ db, direction: 'to_client' }, c.bytesToClient);
        }
      },
    });
    new Counter({
      name: 'gatehouse_engine_commands_total',
      help: 'Client commands read, by database service (denied ones included).',
      labelNames: ['db'],
      registers,
      collect() {
        this.reset();
        for (const [db, c] of counters) this.inc({ db }, c.commands);
      },
    });
    new Gauge({
      name: 'gatehouse_engine_database_up',
      help: 'Whether the last health check reached the database (1) or not (0).',
      labelNames: ['db'],
      registers,
      collect() {
        this.reset();
        for (const db of options.databases()) this.set({ db: db.name }, db.health === 'healthy' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gatehouse_engine_tunnel_connected',
      help: 'Whether the engine has a tunnel to its proxy (1) or not (0); absent when none is configured.',
      registers,
      collect() {
        this.reset();
        const up = options.tunnelConnected();
        if (up !== undefined) this.set(up ? 1 : 0);
      },
    });
  }

  /** The counters a session of `db` adds to (shared by the database's sessions). */
  countersFor(db: string): RelayCounters {
    let c = this.#counters.get(db);
    if (c === undefined) {
      c = { bytesFromClient: 0, bytesToClient: 0, commands: 0, deniedCommands: 0 };
      this.#counters.set(db, c);
    }
    return c;
  }

  /** All databases' counters summed (for tests and the log). */
  totals(): RelayCounters {
    const sum = { bytesFromClient: 0, bytesToClient: 0, commands: 0, deniedCommands: 0 };
    for (const c of this.#counters.values()) {
      sum.bytesFromClient += c.bytesFromClient;
      sum.bytesToClient += c.bytesToClient;
      sum.commands += c.commands;
      sum.deniedCommands += c.deniedCommands;
    }
    return sum;
  }

  /** Children for a session of `db`, resolved once per database and shared by its sessions. */
  childrenFor(db: string): SessionMetricChildren {
    let children = this.#children.get(db);
    if (children !== undefined) return children;
    const h = this.#commandSeconds;
    const errorChildren = new Map<string, { inc(): void }>();
    const denialChildren = new Map<string, { inc(): void }>();
    children = {
      latency: this.#commandLatency
        ? {
            query: h.labels(db, 'query'),
            execute: h.labels(db, 'execute'),
            prepare: h.labels(db, 'prepare'),
            other: h.labels(db, 'other'),
          }
        : undefined,
      errors: (errClass) => {
        let c = errorChildren.get(errClass);
        if (c === undefined) {
          c = this.#errPackets.labels(db, errClass);
          errorChildren.set(errClass, c);
        }
        return c;
      },
      denials: (reason) => {
        let c = denialChildren.get(reason);
        if (c === undefined) {
          c = this.#denials.labels(db, reason);
          denialChildren.set(reason, c);
        }
        return c;
      },
    };
    this.#children.set(db, children);
    return children;
  }

  recordLogin(db: string, seconds: number): void {
    this.#loginSeconds.labels(db).observe(seconds);
  }

  recordSession(db: string, outcome: SessionOutcome, denial?: DenialReason): void {
    this.#sessions.labels(db, outcome).inc();
    if (denial !== undefined) this.#denials.labels(db, denial).inc();
  }

  /** A drain moved a session (`reason` undefined) or closed it because it could not. */
  recordMigration(db: string, refusedFor?: string): void {
    if (refusedFor === undefined) this.#migrated.labels(db).inc();
    else this.#migrationsRefused.labels(db, refusedFor).inc();
  }

  sessionOpened(db: string): void {
    this.sessionsOpen++;
    this.sessionsStarted++;
    this.#live.set(db, (this.#live.get(db) ?? 0) + 1);
  }

  sessionClosed(db: string): void {
    this.sessionsOpen--;
    const n = (this.#live.get(db) ?? 1) - 1;
    if (n <= 0) this.#live.delete(db);
    else this.#live.set(db, n);
  }
}
