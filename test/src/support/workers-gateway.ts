// A `gatehouse start` with proxy.workers: 2 in front of a real MariaDB, for the workers tests:
// a CA, a role and user alice made with gatectl, her certificate, and helpers that read the
// process's JSON log, the audit log and the diagnostics listeners.
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

/** Worker i gives out connection ids i+1, i+1+n, ...: a session's worker from its id. */
export const workerOf = (connection: mysql.Connection): number => (connection.threadId - 1) % WORKERS;

export async function startWorkersGateway(t: TestContext, settings: WorkerSettings) {
  const { db, root, dataDir, dbUser, schema, env } = await setUpAlice(t, 'workers');

  const ports = {
    mysql: await findFreePort(),
    web: await findFreePort(),
    diag: await findFreePort(),
    engineDiag: await findFreePort(),
  };
  const configFile = join(root, 'gatehouse.yaml');
  const writeConfig = (s: WorkerSettings): void =>
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
engine:
  proxy_addr: 127.0.0.1:${ports.web}
  diag_listen: 127.0.0.1:${ports.engineDiag}
  databases:
    - name: alpha
      uri: 127.0.0.1:${db.port}
      labels: { env: dev }
      tls: { mode: verify-ca, ca_file: ${JSON.stringify(db.ca.caFile)} }
      auth: { mode: password, credentials: { ${dbUser}: { password_env: ${env} } } }
audit: { query_events: ${s.queryEvents} }
`,
    );
  writeConfig(settings);
  const gatehouse = startGatehouse(configFile);
  const child = gatehouse.child;
  t.after(() => stopChild(child));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logLines = (msg: string): Record<string, unknown>[] => logLinesOf(gatehouse.output(), msg);
  /** The workers (by index) that have logged `msg`; the supervisor's own lines carry no index. */
  const workersLogging = (msg: string): number[] =>
    [...new Set(logLines(msg).flatMap((l) => (typeof l.worker === 'number' ? [l.worker] : [])))].sort();

  await waitFor(
    'db ls to show alpha healthy',
    async () => {
      if (child.exitCode !== null) throw new Error(`gatehouse exited:\n${gatehouse.output()}`);
      const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
      if (out.code !== 0) return undefined;
      const rows = JSON.parse(out.stdout) as Array<{ name: string; health: string }>;
      return rows.some((r) => r.name === 'alpha' && r.health === 'healthy') ? true : undefined;
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
    output: gatehouse.output,
    writeConfig,
    logLines,
    workersLogging,
    workerPid,
    connect,
    auditCount,
    scrape,
    gauge,
  };
}
