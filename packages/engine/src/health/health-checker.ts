// Periodic FetchMySQLVersion per configured database: the greeting's version and capabilities
// become the DatabaseInfo the engine registers with the proxy (the version the proxy announces,
// and what `gatectl db ls` shows). With TLS on for the database, the check also negotiates TLS
// with its settings (no client certificate, no login) and reports the protocol and cipher; a
// database that sessions could not reach over TLS is unhealthy, with the reason.
import { readFile } from 'node:fs/promises';
import { type DatabaseConfig, type DatabaseInfo, fetchMysqlVersion, type UpstreamTlsOptions } from '@gatehouse/common';
import type { Logger } from 'pino';
import { parseDatabaseAddress } from '../session/upstream-options.js';

export interface HealthCheckerOptions {
  readonly databases: readonly DatabaseConfig[];
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  readonly log: Logger;
  /** Called after each round with every database's current info. */
  readonly onUpdate: (databases: readonly DatabaseInfo[]) => void;
}

export interface HealthChecker {
  /** The latest info per database ('unknown' before the first check). */
  current(): readonly DatabaseInfo[];
  /** Runs one round now. */
  checkNow(): Promise<readonly DatabaseInfo[]>;
  /**
   * Replaces the databases checked (a config reload). A database whose address is unchanged
   * keeps its last info (with the new labels); the new list is reported at once, then checked.
   */
  setDatabases(databases: readonly DatabaseConfig[]): Promise<readonly DatabaseInfo[]>;
  stop(): void;
}

function initialInfo(db: DatabaseConfig): DatabaseInfo {
  return {
    name: db.name,
    labels: { ...db.labels },
    health: 'unknown',
    serverVersion: '',
    capabilities: 0,
    mariadbCapabilities: 0,
  };
}

export async function checkDatabase(db: DatabaseConfig, timeoutMs: number): Promise<DatabaseInfo> {
  const address = parseDatabaseAddress(db.uri);
  if (address === undefined)
    return { ...initialInfo(db), health: 'unhealthy', healthMessage: `invalid uri '${db.uri}'` };
  try {
    const info = await fetchMysqlVersion(address, { timeoutMs, tls: await checkTlsOptions(db) });
    return {
      name: db.name,
      labels: { ...db.labels },
      health: 'healthy',
      serverVersion: info.version,
      capabilities: info.handshake.capabilities >>> 0,
      mariadbCapabilities: info.handshake.mariaDbCapabilities >>> 0,
      ...(info.tls !== undefined ? { tlsProtocol: info.tls.protocol, tlsCipher: info.tls.cipher } : {}),
    };
  } catch (err) {
    return { ...initialInfo(db), health: 'unhealthy', healthMessage: (err as Error).message.slice(0, 4096) };
  }
}

/** The database's TLS settings, as a session uses them, less the client certificate. */
async function checkTlsOptions(db: DatabaseConfig): Promise<UpstreamTlsOptions> {
  const tls = db.tls;
  let ca: string | undefined;
  if (tls.ca_file !== undefined) {
    try {
      ca = await readFile(tls.ca_file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read tls.ca_file ${tls.ca_file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return {
    mode: tls.mode,
    ...(ca !== undefined ? { ca } : {}),
    ...(tls.server_name !== undefined ? { servername: tls.server_name } : {}),
    minVersion: tls.min_version,
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
  };
}

function sameAddress(a: DatabaseConfig, b: DatabaseConfig): boolean {
  return a.uri === b.uri && JSON.stringify(a.tls) === JSON.stringify(b.tls);
}

export function startHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const timeoutMs = options.timeoutMs ?? 5000;
  let databases = options.databases;
  let infos: DatabaseInfo[] = databases.map(initialInfo);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let round: Promise<readonly DatabaseInfo[]> | undefined;

  const run = (): Promise<readonly DatabaseInfo[]> => {
    round ??= (async () => {
      const checked = databases;
      const next = await Promise.all(checked.map((db) => checkDatabase(db, timeoutMs)));
      // The list was replaced while this round ran: its results describe the old list.
      if (checked !== databases) return infos;
      for (let i = 0; i < next.length; i++) {
        const before = infos[i];
        const after = next[i]!;
        // Keep the last known version while the database is down, for the proxy's greeting.
        if (after.health !== 'healthy' && before !== undefined && before.serverVersion !== '') {
          next[i] = {
            ...after,
            serverVersion: before.serverVersion,
            capabilities: before.capabilities,
            mariadbCapabilities: before.mariadbCapabilities,
          };
        }
        if (before?.health !== after.health) {
          options.log.info(
            { db: after.name, health: after.health, reason: after.healthMessage },
            'database health changed',
          );
        }
      }
      infos = next;
      if (!stopped) options.onUpdate(infos);
      return infos;
    })().finally(() => {
      round = undefined;
    });
    return round;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void run().finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  void run().finally(schedule);

  const setDatabases = async (next: readonly DatabaseConfig[]): Promise<readonly DatabaseInfo[]> => {
    const before = new Map(databases.map((db, i) => [db.name, { db, info: infos[i] }]));
    databases = next;
    infos = next.map((db) => {
      const old = before.get(db.name);
      if (old?.info === undefined || !sameAddress(old.db, db)) return initialInfo(db);
      return { ...old.info, labels: { ...db.labels } };
    });
    if (!stopped) options.onUpdate(infos);
    // A round under way checks the old list; wait for it, then check the new one.
    await round?.catch(() => {});
    return run();
  };

  return {
    current: () => infos,
    checkNow: run,
    setDatabases,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
