// A `gatehouse start` with proxy.workers: 2 in front of a real MariaDB, for the workers tests, in
// the one-process shape, or split (auth + proxy with 2 workers in one process, an engine with 2
// workers in another, joined with a token): a CA, a role and user alice made with gatectl, her
// certificate, and helpers that read the processes' JSON logs, the audit log and the
// diagnostics listeners.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findFreePort, waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { setUpAlice } from './alice-setup.js';
import { gatectl, gatectlOk, logLinesOf, startGatehouse, stopChild } from './cli.js';

export const WORKERS = 2;

export interface WorkerSettings {
  readonly maxConnections: number;
  readonly queryEvents: boolean;
}

export interface GatewayShape {
  /** Proxy and engine in two processes, each with 2 workers. */
  readonly split?: boolean;
}

/** Worker i gives out connection ids i+1, i+1+n, ...: a session's worker from its id. */
export const workerOf = (connection: mysql.Connection): number => (connection.threadId - 1) % WORKERS;

export async function startWorkersGateway(t: TestContext, settings: WorkerSettings, shape: GatewayShape = {}) {
  const split = shape.split === true;
  const { db, root, dataDir, dbUser, schema, env, onCleanup } = await setUpAlice(t, split ? 'wsplit' : 'workers');

  const ports = {
    mysql: await findFreePort(),
    web: await findFreePort(),
    diag: await findFreePort(),
    engineDiag: await findFreePort(),
  };
  const configFile = join(root, 'gatehouse.yaml');
  const engineFile = join(root, 'engine.yaml');
  const databasesYaml = `  databases:
    - name: alpha
      uri: 127.0.0.1:${db.port}
      labels: { env: dev }
      tls: { mode: verify-ca, ca_file: ${JSON.stringify(db.ca.caFile)} }
      auth: { mode: password, credentials: { ${dbUser}: { password_env: ${env} } } }
`;
  let join_ = { token: '', caPin: '' };
  const writeEngineConfig = (s: WorkerSettings): void =>
    writeFileSync(
      engineFile,
      `version: v1
data_dir: ${JSON.stringify(join(root, 'engine-data'))}
auth: { enabled: false }
proxy: { enabled: false }
engine:
  name: engine-w
  workers: ${WORKERS}
  proxy_addr: 127.0.0.1:${ports.web}
  join: { token: ${JSON.stringify(join_.token)}, ca_pin: ${JSON.stringify(join_.caPin)} }
  diag_listen: 127.0.0.1:${ports.engineDiag}
${databasesYaml}audit: { query_events: ${s.queryEvents} }
`,
    );
  const writeConfig = (s: WorkerSettings): void => {
    if (split) writeEngineConfig(s);
    writeFileSync(
      configFile,
      `version: v1
data_dir: ${JSON.stringify(dataDir)}
proxy:
  workers: ${WORKERS}
  mysql_listen: 127.0.0.1:${ports.mysql}
  web_listen: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:${ports.diag}
  public_addr: [localhost, 127.0.0.1]
  limits: { max_connections: ${s.maxConnections} }
${
  split
    ? `engine: { enabled: false }
`
    : `engine:
  proxy_addr: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:${ports.engineDiag}
${databasesYaml}`
}audit: { query_events: ${s.queryEvents} }
`,
    );
  };
  writeConfig(settings);
  const gatehouse = startGatehouse(configFile);
  const child = gatehouse.child;
  onCleanup(() => stopChild(child));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let engineProcess: ReturnType<typeof startGatehouse> | undefined;
  if (split) {
    await waitFor('the proxy to take joins', async () => {
      if (child.exitCode !== null) throw new Error(`gatehouse exited:\n${gatehouse.output()}`);
      return (await fetch(`http://127.0.0.1:${ports.diag}/readyz`).catch(() => undefined))?.ok ? true : undefined;
    });
    const token = JSON.parse(await gatectlOk(dataDir, ['tokens', 'add', '--type', 'engine', '--format', 'json'])) as {
      token: string;
      ca_pin?: string;
      caPin?: string;
    };
    join_ = { token: token.token, caPin: token.ca_pin ?? token.caPin ?? '' };
    writeEngineConfig(settings);
    engineProcess = startGatehouse(engineFile);
    const engineChild = engineProcess.child;
    onCleanup(() => stopChild(engineChild));
  }
  const engineChild = engineProcess?.child;
  const engineExited =
    engineChild === undefined
      ? Promise.resolve(0)
      : new Promise<number | null>((resolve) => engineChild.once('exit', (code) => resolve(code)));
  const output = (): string => gatehouse.output() + (engineProcess?.output() ?? '');
  /** Log lines of the proxy's process (in the one-process shape, the only one), or the engine's. */
  const logLines = (msg: string, of: 'proxy' | 'engine' = 'proxy'): Record<string, unknown>[] =>
    logLinesOf(of === 'proxy' ? gatehouse.output() : (engineProcess?.output() ?? ''), msg);
  /** The workers (by index) that have logged `msg`; the supervisor's own lines carry no index. */
  const workersLogging = (msg: string, of: 'proxy' | 'engine' = 'proxy'): number[] =>
    [...new Set(logLines(msg, of).flatMap((l) => (typeof l.worker === 'number' ? [l.worker] : [])))].sort();
  /** Sends `signal` to every gatehouse process of the shape. */
  const signalAll = (signal: NodeJS.Signals): void => {
    child.kill(signal);
    engineChild?.kill(signal);
  };

  await waitFor(
    'db ls to show alpha healthy',
    async () => {
      if (child.exitCode !== null || engineChild?.exitCode != null) throw new Error(`gatehouse exited:\n${output()}`);
      const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
      if (out.code !== 0) return undefined;
      const rows = JSON.parse(out.stdout) as Array<{ name: string; health: string; engines: unknown[] }>;
      // Split: each engine worker registers apart, so both must be listed.
      return rows.some((r) => r.name === 'alpha' && r.health === 'healthy' && r.engines.length >= (split ? WORKERS : 1))
        ? true
        : undefined;
    },
    60_000,
  );

  const prefix = join(root, 'alice');
  await gatectlOk(dataDir, [
    'auth',
    'sign',
    '--user',
    'alice',
    '--db',
    'alpha',
    '--db-user',
    dbUser,
    '--db-name',
    schema,
    '--out',
    prefix,
  ]);
  const ssl = {
    ca: readFileSync(`${prefix}.cas`, 'utf8'),
    cert: readFileSync(`${prefix}.crt`, 'utf8'),
    key: readFileSync(`${prefix}.key`, 'utf8'),
  };
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port: ports.mysql, ssl });
  const auditCount = async (args: string[]): Promise<number> =>
    (
      JSON.parse(
        await gatectlOk(dataDir, ['audit', 'search', '--since', '1h', '--format', 'json', ...args]),
      ) as unknown[]
    ).length;
  const scrape = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const gauge = (text: string, name: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };

  /**
   * Starts the processes again on the same configs and data dirs (the engine with the host
   * certificate it joined with); stopped when the test ends.
   */
  const startAgain = (): { output: () => string } => {
    const proxyAgain = startGatehouse(configFile);
    onCleanup(() => stopChild(proxyAgain.child));
    const engineAgain = split ? startGatehouse(engineFile) : undefined;
    if (engineAgain !== undefined) onCleanup(() => stopChild(engineAgain.child));
    return { output: () => proxyAgain.output() + (engineAgain?.output() ?? '') };
  };

  /**
   * Locks alice and waits until every one of `sessions` (open in any worker) is closed by it,
   * then unlocks her and waits for their session ends in the audit log.
   */
  const lockClosesAll = async (sessions: Record<string, mysql.Connection>, message: string): Promise<void> => {
    await gatectlOk(dataDir, ['lock', '--user', 'alice', '--message', message]);
    for (const [name, session] of Object.entries(sessions)) {
      await waitFor(`session ${name} to be closed by the lock`, () =>
        session.query('SELECT 1').then(
          () => undefined,
          (err: Error) => err,
        ),
      );
    }
    for (const session of Object.values(sessions)) session.destroy();
    await gatectlOk(dataDir, ['unlock', '--user', 'alice']);
    const ends = Object.keys(sessions).length;
    await waitFor(`${ends} session ends in the audit log`, async () =>
      (await auditCount(['--type', 'db.session.end'])) >= ends ? true : undefined,
    );
  };

  /** The pid a worker logged when it became ready, the latest one for its index. */
  const workerPid = (index: number): number | undefined =>
    logLines('session worker ready').findLast((l) => l.worker === index)?.pid as number | undefined;
  return {
    dataDir,
    root,
    prefix,
    ports,
    child,
    exited,
    engineExited,
    signalAll,
    startAgain,
    split,
    output,
    writeConfig,
    logLines,
    workersLogging,
    workerPid,
    connect,
    lockClosesAll,
    auditCount,
    scrape,
    gauge,
  };
}
