// The backend monitor: every interval, each backend of each configured database is checked
// (backends/backend-check.ts: reachability, version, and with a monitor user its role, lag and
// Galera state; with TLS on, the protocol and cipher negotiated with the database's settings: a
// backend that sessions could not reach over TLS is unhealthy, with the reason). The results
// become the DatabaseInfo the engine registers with the proxy (the version the proxy announces,
// what `gatectl db ls` shows) and the state sessions are routed by.
import type { BackendConfig, DatabaseConfig } from '@gatehouse/common';
import type { BackendInfo, DatabaseInfo } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { type BackendCheck, checkBackend } from '../backends/backend-check.js';
import type { DbClientCertSigner } from '../cluster/engine-cluster.js';

export interface HealthCheckerOptions {
  readonly databases: readonly DatabaseConfig[];
  /** The engine's health_check_interval: a database's monitor.interval overrides it. */
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  readonly log: Logger;
  /** Signs the monitor's db-client certificates (x509 databases with a monitor user). */
  readonly signer?: DbClientCertSigner;
  /** Called after each round with every database's current info. */
  readonly onUpdate: (databases: readonly DatabaseInfo[]) => void;
}

export interface HealthChecker {
  /** The latest info per database ('unknown' before the first check). */
  current(): readonly DatabaseInfo[];
  /** Checks every database now. */
  checkNow(): Promise<readonly DatabaseInfo[]>;
  /**
   * Replaces the databases checked (a config reload). A database whose address is unchanged
   * keeps its last info (with the new labels); the new list is reported at once, then checked.
   */
  setDatabases(databases: readonly DatabaseConfig[]): Promise<readonly DatabaseInfo[]>;
  stop(): void;
}

const noSigner: DbClientCertSigner = {
  signDbClient: () => Promise.reject(new Error('the monitor has no db-client certificate signer')),
};

function initialBackend(backend: BackendConfig): BackendInfo {
  return { uri: backend.uri, role: 'unknown', health: 'unknown', serverVersion: '', weight: backend.weight };
}

function initialInfo(db: DatabaseConfig): DatabaseInfo {
  return {
    name: db.name,
    labels: { ...db.labels },
    health: 'unknown',
    serverVersion: db.server_version ?? '',
    capabilities: 0,
    mariadbCapabilities: 0,
    backends: db.backends.map(initialBackend),
  };
}

/**
 * One database's info from its backends' checks: healthy when any backend is; the version and
 * capabilities of the primary (else the first healthy backend), the capabilities narrowed to
 * what every healthy backend has, so the proxy never announces one that some backend lacks.
 */
export function summarizeBackends(db: DatabaseConfig, checks: readonly BackendCheck[]): DatabaseInfo {
  const healthy = checks.filter((c) => c.health === 'healthy');
  const lead = healthy.find((c) => c.role === 'primary') ?? healthy[0];
  let capabilities = lead?.capabilities ?? 0;
  let mariadbCapabilities = lead?.mariadbCapabilities ?? 0;
  for (const c of healthy) {
    capabilities = (capabilities & c.capabilities) >>> 0;
    mariadbCapabilities = (mariadbCapabilities & c.mariadbCapabilities) >>> 0;
  }
  const health =
    healthy.length > 0 ? 'healthy' : checks.some((c) => c.health === 'unhealthy') ? 'unhealthy' : 'unknown';
  const messages = checks.filter((c) => c.healthMessage !== undefined).map((c) => `${c.uri}: ${c.healthMessage}`);
  return {
    name: db.name,
    labels: { ...db.labels },
    health,
    ...(health !== 'healthy' && messages.length > 0 ? { healthMessage: messages.join('; ').slice(0, 4096) } : {}),
    serverVersion: db.server_version ?? lead?.serverVersion ?? '',
    capabilities,
    mariadbCapabilities,
    ...(lead?.tlsProtocol !== undefined ? { tlsProtocol: lead.tlsProtocol, tlsCipher: lead.tlsCipher ?? '' } : {}),
    backends: checks.map(
      ({ capabilities: _c, mariadbCapabilities: _m, tlsProtocol: _p, tlsCipher: _x, ...info }) => info,
    ),
  };
}

/** One check of every backend of `db`; `failures` counts consecutive failures per backend. */
export async function checkDatabase(
  db: DatabaseConfig,
  timeoutMs: number,
  signer: DbClientCertSigner = noSigner,
): Promise<{ info: DatabaseInfo; checks: BackendCheck[] }> {
  const checks = await Promise.all(
    db.backends.map((b) => checkBackend(db, b, { timeoutMs: db.monitor.timeout ?? timeoutMs, signer })),
  );
  return { info: summarizeBackends(db, checks), checks };
}

function sameAddress(a: DatabaseConfig, b: DatabaseConfig): boolean {
  return (
    JSON.stringify(a.backends) === JSON.stringify(b.backends) &&
    JSON.stringify(a.tls) === JSON.stringify(b.tls) &&
    JSON.stringify(a.monitor) === JSON.stringify(b.monitor) &&
    a.server_version === b.server_version &&
    a.send_proxy_protocol === b.send_proxy_protocol
  );
}

interface DbState {
  info: DatabaseInfo;
  /** The last check of each backend, and how many checks in a row failed. */
  checks: BackendCheck[] | undefined;
  failures: number[];
  checkedAt: number;
}

export function startHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const timeoutMs = options.timeoutMs ?? 5000;
  const signer = options.signer ?? noSigner;
  let databases = options.databases;
  let states: DbState[] = databases.map((db) => ({
    info: initialInfo(db),
    checks: undefined,
    failures: [],
    checkedAt: 0,
  }));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let round: Promise<readonly DatabaseInfo[]> | undefined;
  const intervalOf = (db: DatabaseConfig): number => db.monitor.interval ?? options.intervalMs;
  const tickMs = (): number => Math.max(50, Math.min(options.intervalMs, ...databases.map(intervalOf)));

  const checkOne = async (db: DatabaseConfig, state: DbState): Promise<DbState> => {
    const { checks } = await checkDatabase(db, timeoutMs, signer);
    const failures = checks.map((c, i) => (c.health === 'unhealthy' ? (state.failures[i] ?? 0) + 1 : 0));
    // A backend stays as it was until `monitor.failures` checks in a row have failed.
    const kept = checks.map((c, i) => {
      const before = state.checks?.[i];
      if (c.health !== 'unhealthy' || failures[i]! >= db.monitor.failures || before === undefined) return c;
      return before;
    });
    const info = summarizeBackends(db, kept);
    const before = state.info;
    // Keep the last known version while the database is down, for the proxy's greeting.
    if (info.health !== 'healthy' && before.serverVersion !== '' && info.serverVersion === '') {
      Object.assign(info, {
        serverVersion: before.serverVersion,
        capabilities: before.capabilities,
        mariadbCapabilities: before.mariadbCapabilities,
      });
    }
    if (before.health !== info.health) {
      options.log.info({ db: db.name, health: info.health, reason: info.healthMessage }, 'database health changed');
    }
    for (const [i, b] of (info.backends ?? []).entries()) {
      const old = before.backends?.[i];
      if (old !== undefined && (old.health !== b.health || old.role !== b.role)) {
        options.log.info(
          {
            db: db.name,
            backend: b.uri,
            health: b.health,
            role: b.role,
            was: { health: old.health, role: old.role },
            reason: b.healthMessage,
          },
          'backend changed',
        );
      }
    }
    return { info, checks: kept, failures, checkedAt: Date.now() };
  };

  const run = (force: boolean): Promise<readonly DatabaseInfo[]> => {
    round ??= (async () => {
      const checked = databases;
      const now = Date.now();
      const next = await Promise.all(
        checked.map((db, i) => {
          const state = states[i]!;
          const due = force || now - state.checkedAt >= intervalOf(db) - tickMs() / 2;
          return due ? checkOne(db, state) : state;
        }),
      );
      // The list was replaced while this round ran: its results describe the old list.
      if (checked !== databases) return states.map((s) => s.info);
      states = next;
      const infos = states.map((s) => s.info);
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
      void run(false).finally(schedule);
    }, tickMs());
    timer.unref();
  };
  void run(true).finally(schedule);

  const setDatabases = async (next: readonly DatabaseConfig[]): Promise<readonly DatabaseInfo[]> => {
    const before = new Map(databases.map((db, i) => [db.name, { db, state: states[i] }]));
    databases = next;
    states = next.map((db) => {
      const old = before.get(db.name);
      if (old?.state === undefined || !sameAddress(old.db, db)) {
        return { info: initialInfo(db), checks: undefined, failures: [], checkedAt: 0 };
      }
      return { ...old.state, info: { ...old.state.info, labels: { ...db.labels } } };
    });
    if (!stopped) options.onUpdate(states.map((s) => s.info));
    // A round under way checks the old list; wait for it, then check the new one.
    await round?.catch(() => {});
    return run(true);
  };

  return {
    current: () => states.map((s) => s.info),
    checkNow: () => run(true),
    setDatabases,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
