// A primary and N replicas with real MariaDB replication (GTID), for tests of routing and the
// backend monitor. Each server is a private mariadbd from startMariaDb (never the run's shared
// one); a test file starts the set once and shares it between its tests.
import { randomBytes } from 'node:crypto';
import { type MariaDb, startMariaDb } from './mariadb.js';

export interface ReplicationSet {
  readonly primary: MariaDb;
  readonly replicas: readonly MariaDb[];
  /** Resolves once `replica` has applied everything the primary has written so far. */
  waitForReplica(replica: MariaDb, timeoutMs?: number): Promise<void>;
  /** Stops every server. */
  stop(): Promise<void>;
}

export interface StartReplicationOptions {
  /** Default 1. */
  readonly replicas?: number;
  /** Extra mariadbd arguments for every server. */
  readonly args?: readonly string[];
  /** More CA certificates the servers trust for client certificates (startMariaDb's trustCaPem). */
  readonly trustCaPem?: string;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMariaDbReplication(options: StartReplicationOptions = {}): Promise<ReplicationSet> {
  const count = options.replicas ?? 1;
  const common = [...(options.args ?? []), '--log-bin=mariadb-bin', '--binlog-format=ROW', '--log-slave-updates=1'];
  const started: MariaDb[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
  };
  const start = async (serverId: number, extra: readonly string[]): Promise<MariaDb> => {
    const server = await startMariaDb({
      shared: false,
      args: [...common, `--server-id=${serverId}`, ...extra],
      ...(options.trustCaPem !== undefined ? { trustCaPem: options.trustCaPem } : {}),
    });
    started.push(server);
    return server;
  };
  try {
    const [primary, ...replicas] = await Promise.all([
      start(1, []),
      ...Array.from({ length: count }, (_, i) => start(i + 2, ['--read-only=1'])),
    ]);
    const password = randomBytes(12).toString('hex');
    // Written to the binlog too: the replicas create the same account when they catch up.
    await primary!.sql(
      `CREATE USER 'gh_repl'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT REPLICATION SLAVE ON *.* TO 'gh_repl'@'127.0.0.1'`,
    );
    for (const replica of replicas) {
      await replica.sql(
        `CHANGE MASTER TO MASTER_HOST='${primary!.host}', MASTER_PORT=${primary!.port}, MASTER_USER='gh_repl', MASTER_PASSWORD='${password}', MASTER_USE_GTID=slave_pos; START SLAVE`,
      );
    }
    const waitForReplica = async (replica: MariaDb, timeoutMs = 30_000): Promise<void> => {
      const [row] = await primary!.sql('SELECT @@global.gtid_binlog_pos AS pos');
      const pos = row?.pos ?? '';
      await waitUntil(
        `replica on port ${replica.port} to reach GTID ${pos}`,
        async () => {
          const [r] = await replica.sql(`SELECT MASTER_GTID_WAIT('${pos}', 0) AS done`);
          if (r?.done === '0') return true;
          const [status] = await replica.sql('SHOW SLAVE STATUS');
          if (status?.Last_SQL_Error || status?.Last_IO_Error) {
            throw new Error(`replication failed: ${status.Last_IO_Error || status.Last_SQL_Error}`);
          }
          return false;
        },
        timeoutMs,
      );
    };
    for (const replica of replicas) await waitForReplica(replica);
    return { primary: primary!, replicas, waitForReplica, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
