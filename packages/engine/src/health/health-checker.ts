// Periodic FetchMySQLVersion per configured database: the greeting's version and capabilities
// become the DatabaseInfo the engine registers with the proxy (the version the proxy announces,
// and what `gatectl db ls` shows).
import { type DatabaseConfig, type DatabaseInfo, fetchMysqlVersion } from '@gatehouse/common';
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
    const info = await fetchMysqlVersion(address, { timeoutMs });
    return {
      name: db.name,
      labels: { ...db.labels },
      health: 'healthy',
      serverVersion: info.version,
      capabilities: info.handshake.capabilities >>> 0,
      mariadbCapabilities: info.handshake.mariaDbCapabilities >>> 0,
    };
  } catch (err) {
    return { ...initialInfo(db), health: 'unhealthy', healthMessage: (err as Error).message.slice(0, 4096) };
  }
}

export function startHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const timeoutMs = options.timeoutMs ?? 5000;
  let infos: DatabaseInfo[] = options.databases.map(initialInfo);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let round: Promise<readonly DatabaseInfo[]> | undefined;

  const run = (): Promise<readonly DatabaseInfo[]> => {
    round ??= (async () => {
      const next = await Promise.all(options.databases.map((db) => checkDatabase(db, timeoutMs)));
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

  return {
    current: () => infos,
    checkNow: run,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
