// Rolling restart under load (docs/migration.md "Rolling restart"): two engines serve one
// database behind one proxy; a fixed set of mysql2 clients runs queries and prepared statements
// through the gateway while engine rr-a is stopped with SIGTERM and started again, then rr-b.
// Reports the client errors and the pauses the clients saw (each operation's time from its first
// attempt to its answer, reconnects included), against the same clients before the restarts.
// Heavy (a MariaDB and three gatehouse processes): run only when named,
//   npm run bench:rolling-restart -w bench
// env ROLLING_CLIENTS (8), ROLLING_WARMUP_S (3), ROLLING_SETTLE_S (5), ROLLING_OUT (a JSON file),
// ROLLING_DRAIN_FIRST=1 (run `gatectl engine drain` on each engine before its SIGTERM, as
// docs/migration.md suggests to operators).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchDb, DATABASE, DB_USER, startBenchDb } from './bench-db.js';
import { waitFor } from './child.js';
import { describeCommit, describeMachine } from './machine.js';
import { createSessionFactory, probeSession } from './mysql-client.js';
import { SHORT_PROFILE } from './profile.js';
import {
  type ClientError,
  LOAD_ROWS,
  LOAD_TABLE,
  type LoadOperation,
  quantile,
  startLoad,
} from './rolling/client-load.js';
import { ENGINE_NAMES, startTwoEngineCluster, type TwoEngineCluster } from './rolling/two-engine-cluster.js';
import { runGatectl } from './targets/gatehouse-cli.js';
import { BENCH_ROLE_YAML, DB_SERVICE } from './targets/gatehouse-config.js';
import type { Endpoint } from './targets/target.js';

const CLIENTS = Number(process.env.ROLLING_CLIENTS ?? 8);
const WARMUP_S = Number(process.env.ROLLING_WARMUP_S ?? 3);
const SETTLE_S = Number(process.env.ROLLING_SETTLE_S ?? 5);
const DRAIN_FIRST = process.env.ROLLING_DRAIN_FIRST === '1';
/** The load stops by itself after this long, whatever happens. */
const LOAD_LIMIT_S = 300;

function log(message: string): void {
  process.stderr.write(`rolling-restart: ${message}\n`);
}

interface RestartStep {
  readonly engine: string;
  /** ms since the load started. */
  readonly stoppedAt: number;
  /** How long the engine took to exit after SIGTERM. */
  readonly exitMs: number;
  /** When it served again. */
  readonly servingAt: number;
  /** Sessions on it (engine ls) just before the SIGTERM. */
  readonly sessionsBefore: number;
}

function summarize(
  operations: readonly LoadOperation[],
  errors: readonly ClientError[],
  steps: readonly RestartStep[],
  window: { start: number; end: number },
) {
  const before = operations.filter((o) => o.at < window.start).map((o) => o.pauseMs);
  const during = operations.filter((o) => o.at >= window.start && o.at < window.end);
  const pauses = during.map((o) => o.pauseMs);
  const worstByClient = new Map<number, number>();
  for (const o of during) worstByClient.set(o.client, Math.max(worstByClient.get(o.client) ?? 0, o.pauseMs));
  const messages = new Map<string, number>();
  for (const e of errors) {
    const key = e.message.replace(/\d+/g, 'N');
    messages.set(key, (messages.get(key) ?? 0) + 1);
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    clients: CLIENTS,
    operations: operations.length,
    clientErrors: errors.length,
    clientsWithErrors: new Set(errors.map((e) => e.client)).size,
    errorMessages: [...messages.entries()].sort((a, b) => b[1] - a[1]).map(([message, count]) => ({ message, count })),
    baseline: { operations: before.length, p50Ms: round(quantile(before, 0.5)), p99Ms: round(quantile(before, 0.99)) },
    restarts: {
      operations: during.length,
      p50Ms: round(quantile(pauses, 0.5)),
      p99Ms: round(quantile(pauses, 0.99)),
      maxMs: round(quantile(pauses, 1)),
      worstPerClientMs: [...worstByClient.values()].sort((a, b) => b - a).map(round),
    },
    steps: steps.map((s) => ({
      ...s,
      stoppedAt: round(s.stoppedAt),
      exitMs: round(s.exitMs),
      servingAt: round(s.servingAt),
    })),
  };
}

async function main(): Promise<number> {
  const machine = describeMachine();
  const commit = await describeCommit(process.cwd()).catch(() => 'unknown');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-rolling-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const certPrefix = join(dir, 'bench-user');
  let benchDb: BenchDb | undefined;
  let cluster: TwoEngineCluster | undefined;
  try {
    await runGatectl(dataDir, ['ca', 'init']);
    const roleFile = join(dir, 'role.yaml');
    writeFileSync(roleFile, BENCH_ROLE_YAML);
    await runGatectl(dataDir, ['roles', 'create', '-f', roleFile]);
    await runGatectl(dataDir, ['users', 'add', DB_USER, '--roles', 'bench']);
    await runGatectl(dataDir, [
      'auth',
      'sign',
      '--user',
      DB_USER,
      '--db',
      DB_SERVICE,
      '--db-user',
      DB_USER,
      '--out',
      certPrefix,
    ]);
    const dbClientCa = await runGatectl(dataDir, ['auth', 'export', '--type', 'db-client']);
    log('starting MariaDB');
    benchDb = await startBenchDb([dbClientCa], SHORT_PROFILE);
    const values = Array.from({ length: LOAD_ROWS }, (_, i) => `(${i + 1}, ${i * 7})`).join(',');
    await benchDb.db.sql(
      `CREATE TABLE ${DATABASE}.${LOAD_TABLE} (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO ${DATABASE}.${LOAD_TABLE} VALUES ${values}`,
    );
    log('starting the proxy and engines rr-a, rr-b');
    cluster = await startTwoEngineCluster(dir, dataDir, benchDb.info);
    const endpoint: Endpoint = {
      host: '127.0.0.1',
      port: cluster.mysqlPort,
      user: DB_USER,
      database: DATABASE,
      tls: { caFile: `${certPrefix}.cas`, certFile: `${certPrefix}.crt`, keyFile: `${certPrefix}.key` },
    };
    const factory = createSessionFactory(endpoint);
    await waitFor(() => probeSession(factory), 60_000, 'a session through the gateway');

    log(`load: ${CLIENTS} clients`);
    const load = startLoad(endpoint, CLIENTS, LOAD_LIMIT_S);
    await sleep(WARMUP_S * 1000);
    const steps: RestartStep[] = [];
    const start = load.now();
    for (const name of ENGINE_NAMES) {
      const sessionsBefore = (await cluster.engines()).find((e) => e.id === name)?.sessions ?? 0;
      if (DRAIN_FIRST) {
        log(`gatectl engine drain ${name}`);
        await runGatectl(dataDir, ['engine', 'drain', name, '--reason', 'rolling restart bench']);
      }
      const stoppedAt = load.now();
      log(`SIGTERM ${name} (${sessionsBefore} sessions)`);
      const exitMs = await cluster.stopEngine(name);
      await cluster.startEngine(name);
      const servingAt = load.now();
      log(`${name} exited in ${Math.round(exitMs)} ms and serves again`);
      steps.push({ engine: name, stoppedAt, exitMs, servingAt, sessionsBefore });
      await sleep(SETTLE_S * 1000);
    }
    const end = load.now();
    const { operations, errors } = await load.stop();
    const summary = summarize(operations, errors, steps, { start, end });
    const report = { machine, commit, drainFirst: DRAIN_FIRST, ...summary };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        `| clients | operations | client errors (clients hit) | p99 pause before | p99 pause during restarts | max pause |`,
        '|---|---|---|---|---|---|',
        `| ${CLIENTS} | ${summary.operations} | ${summary.clientErrors} (${summary.clientsWithErrors}) | ${summary.baseline.p99Ms} ms | ${summary.restarts.p99Ms} ms | ${summary.restarts.maxMs} ms |`,
        '',
      ].join('\n'),
    );
    if (process.env.ROLLING_OUT) writeFileSync(process.env.ROLLING_OUT, `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } finally {
    await cluster?.stop().catch((err: unknown) => log(`stopping gatehouse: ${String(err)}`));
    await benchDb?.db.stop().catch((err: unknown) => log(`stopping MariaDB: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
