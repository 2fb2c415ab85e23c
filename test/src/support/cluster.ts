// A whole Gatehouse deployment for end-to-end tests: a private MariaDB that trusts the cluster's
// db-client CA, a data dir set up with gatectl, and `gatehouse start` in one of two shapes:
//   single: auth + proxy + engine in one process (the embedded default);
//   split:  auth + proxy in one process, each engine in its own, joined with a token.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { parseExposition } from '@gatehouse/common/metrics';
import { findExecutable, findFreePort, type MariaDb, startMariaDb, waitFor } from '@gatehouse/testing';
import { gatectl, gatectlOk, startGatehouse } from './cli.js';

export type ClusterShape = 'single' | 'split';

export interface ClusterOptions {
  readonly shape: ClusterShape;
  /** Engines serving the database (split shape only; default 1). */
  readonly engines?: number;
  /** Extra YAML appended to every role the cluster creates. */
  readonly dbService?: string;
  /** Also listen for MySQL clients on a unix socket (Cluster.mysqlSocket), reachable by every OS user. */
  readonly unixSocket?: boolean;
  /** audit.spool_sync of every process that runs an engine (default: the config's default). */
  readonly spoolSync?: 'none' | 'batch' | 'always';
  /** audit.writer_thread of the process that runs auth (default: the config's default). */
  readonly writerThread?: 'auto' | 'on' | 'off';
  /**
   * Single shape: start gatehouse under systemd-socket-activate, which binds the MySQL port and
   * passes it as fd 3 (LISTEN_FDS); mysql_listen then names a port nobody binds.
   */
  readonly socketActivation?: boolean;
  /** Extra mariadbd arguments for the cluster's private MariaDB. */
  readonly dbArgs?: readonly string[];
  /** Extra YAML keys of the database entry, each line indented as a key of it (e.g. admin_user). */
  readonly databaseYaml?: string;
  /** databases[].compression: compress the engine's leg to the database. */
  readonly dbCompression?: boolean;
  /** Extra YAML keys of the engine section of each engine's process (split), e.g. "  migration: { wait: 2s }\n". */
  readonly engineYaml?: string;
}

export interface UserCerts {
  /** The db user the certificate routes to; the CLI sends it as its user name. */
  readonly dbUser?: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly casFile: string;
  readonly cert: string;
  readonly key: string;
  readonly cas: string;
}

interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  readonly configFile: string;
  /** The engine's diag_listen port, when the process runs an engine. */
  readonly diagPort?: number;
}

/** One engine's /metrics counters, by metric name summed over labels, and by name{label="value"} for each one label. */
export interface EngineMetricsSample {
  /** The engine's index (always 0 in the single shape). */
  readonly index: number;
  readonly pid: number;
  readonly values: Readonly<Record<string, number>>;
}

export interface Cluster {
  readonly shape: ClusterShape;
  readonly dataDir: string;
  readonly db: MariaDb;
  readonly dbService: string;
  readonly mysqlPort: number;
  readonly webPort: number;
  /** The proxy's diagnostics port (/metrics). */
  readonly proxyDiagPort: number;
  /** The proxy's unix socket, with ClusterOptions.unixSocket. */
  readonly mysqlSocket: string | undefined;
  gatectl(args: readonly string[]): ReturnType<typeof gatectl>;
  /** Issues `user` a certificate with gatectl auth sign. */
  signUser(user: string, options?: { dbUser?: string; dbName?: string; ttl?: string }): Promise<UserCerts>;
  /** Stops and starts the process running the proxy (for reconnect tests). */
  restartProxy(): Promise<void>;
  /** Kills engine `index` (split shape) with SIGKILL. */
  killEngine(index: number): Promise<void>;
  /** Stops engine `index` (split shape) with SIGTERM, its graceful stop, and waits for it to exit. */
  stopEngine(index: number): Promise<void>;
  /** Starts engine `index` again (split shape) and waits until the proxy lists it healthy. */
  restartEngine(index: number): Promise<void>;
  /** Kills the process running the proxy (in the single shape, everything) with SIGKILL. */
  killProxy(): Promise<void>;
  /** Starts the proxy's process again after killProxy() and waits until the database is served. */
  startProxyAgain(): Promise<void>;
  /** The data directory of engine `index` (split) or of the one process (single). */
  engineDataDir(index: number): string;
  /** The pids of the gatehouse processes now running (the proxy's first). */
  processIds(): number[];
  /** The /metrics counters of every running engine. */
  engineMetrics(): Promise<EngineMetricsSample[]>;
  /** The diagnostics port of engine `index` (the proxy's process in the single shape). */
  engineDiagPort(index: number): number;
  /** Everything the gatehouse processes printed, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

const ROLE_YAML = `kind: role
name: e2e-dev
# The suite creates procedures, whose BEGIN…END bodies the statement parser does not read.
options: { max_session_ttl: 8h, client_idle_timeout: 30m, disconnect_expired_cert: true, unparsed_statements: allow }
allow:
  db_labels: { env: [dev] }
  db_users: [app_rw, "{{internal.db_users}}"]
  db_names: [app, "reports_*", information_schema]
deny:
  db_users: [root]
---
kind: role
name: e2e-other
allow:
  db_labels: { env: [prod] }
  db_users: ['*']
  db_names: ['*']
---
kind: role
name: e2e-unix-root
allow:
  db_labels: { env: [dev] }
  db_users: [app_rw]
  db_names: [app]
  unix_peers: [{ uid: 0 }]
`;

function yamlList(items: readonly string[]): string {
  return `[${items.map((i) => JSON.stringify(i)).join(', ')}]`;
}

function isRunning(proc: RunningProcess): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}

/** Prometheus text → value by metric name (labelled series summed), and by whole series name{labels}. */
export function parseMetrics(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  const add = (key: string, value: number): void => {
    values[key] = (values[key] ?? 0) + value;
  };
  for (const sample of parseExposition(text)) {
    add(sample.name, sample.value);
    for (const [k, v] of Object.entries(sample.labels)) add(`${sample.name}{${k}="${v}"}`, sample.value);
  }
  return values;
}

async function stopProcess(proc: RunningProcess | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const gone = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGTERM');
  await gone;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const dataDir = join(root, 'data');
  const dbService = options.dbService ?? 'mariadb';
  await gatectlOk(dataDir, ['ca', 'init']);
  const dbClientCa = await gatectlOk(dataDir, ['auth', 'export', '--type', 'db-client']);
  const db = await startMariaDb({
    shared: false,
    trustCaPem: dbClientCa,
    ...(options.dbArgs ? { args: options.dbArgs } : {}),
  });
  // A copy beside the configs, as an operator would keep it: db.stop() removes the server's files,
  // and the database-down test must see a dead server, not a missing CA file.
  const dbCaFile = join(root, 'db-ca.pem');
  copyFileSync(db.ca.caFile, dbCaFile);

  await db.sql(
    [
      'CREATE DATABASE app',
      'CREATE DATABASE secret_stuff',
      'CREATE DATABASE reports_2026',
      "CREATE USER 'app_rw'@'%' REQUIRE SUBJECT '/CN=app_rw'",
      "GRANT ALL ON app.* TO 'app_rw'@'%'",
      "GRANT ALL ON secret_stuff.* TO 'app_rw'@'%'",
      "GRANT ALL ON reports_2026.* TO 'app_rw'@'%'",
      "GRANT PROCESS ON *.* TO 'app_rw'@'%'",
      "CREATE USER 'root_like'@'%' REQUIRE SUBJECT '/CN=root_like'",
    ].join('; '),
  );

  const [mysqlPort, webPort, proxyDiagPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  // Under socket activation mysql_listen names a port nobody binds; the activated socket is mysqlPort.
  const listenPort = options.socketActivation ? await findFreePort() : mysqlPort;
  // In a directory of its own that every OS user may enter (the data dir is private).
  const mysqlSocket = options.unixSocket
    ? join(mkdtempSync(join(tmpdir(), 'gatehouse-sock-')), 'mysql.sock')
    : undefined;
  if (mysqlSocket !== undefined) chmodSync(dirname(mysqlSocket), 0o755);
  const mysqlListen =
    mysqlSocket === undefined
      ? `127.0.0.1:${listenPort}`
      : yamlList([`127.0.0.1:${listenPort}`, `unix:${mysqlSocket}`]);
  const auditYaml = options.spoolSync === undefined ? '' : `audit: { spool_sync: ${options.spoolSync} }\n`;
  const auditSettings = (engineEnabled: boolean): string => {
    const settings = [
      ...(engineEnabled && options.spoolSync !== undefined ? [`spool_sync: ${options.spoolSync}`] : []),
      ...(options.writerThread !== undefined ? [`writer_thread: ${options.writerThread}`] : []),
    ];
    return settings.length === 0 ? '' : `audit: { ${settings.join(', ')} }\n`;
  };
  const proxyYaml = (engineEnabled: boolean): string => `${auditSettings(engineEnabled)}version: v1
data_dir: ${JSON.stringify(dataDir)}
log: { level: info }
auth: { enabled: true }
proxy:
  enabled: true
  mysql_listen: ${mysqlListen}
  web_listen: 127.0.0.1:${webPort}
  diag_listen: 127.0.0.1:${proxyDiagPort}
  public_addr: ${yamlList(['localhost', '127.0.0.1'])}
  limits: { handshake_timeout: 5s }
engine:
  enabled: ${engineEnabled}
`;
  const databasesYaml = `  databases:
    - name: ${dbService}
      uri: 127.0.0.1:${db.port}
      labels: { env: dev }
      tls: { mode: verify-full, ca_file: ${JSON.stringify(dbCaFile)} }
      auth: { mode: x509 }
${options.databaseYaml ?? ''}${options.dbCompression ? '      compression: true\n' : ''}`;

  const processes: { proxy?: RunningProcess; engines: RunningProcess[] } = { engines: [] };
  const wrapper = options.socketActivation ? socketActivationWrapper(mysqlPort) : [];
  const start = (configFile: string, diagPort?: number): RunningProcess => ({
    ...startGatehouse(configFile, wrapper),
    configFile,
    ...(diagPort === undefined ? {} : { diagPort }),
  });

  if (options.shape === 'single') {
    const configFile = join(root, 'gatehouse.yaml');
    const diagPort = await findFreePort();
    writeFileSync(
      configFile,
      `${proxyYaml(true)}  proxy_addr: 127.0.0.1:${webPort}
  diag_listen: 127.0.0.1:${diagPort}
${databasesYaml}`,
    );
    processes.proxy = start(configFile, diagPort);
    // systemd-socket-activate starts its program on the first connection, as systemd does.
    if (options.socketActivation) await readGreeting(mysqlPort);
  } else {
    const configFile = join(root, 'proxy.yaml');
    writeFileSync(configFile, proxyYaml(false));
    processes.proxy = start(configFile);
    await waitForProxy();
    for (let i = 0; i < (options.engines ?? 1); i++) {
      const tokenOut = JSON.parse(
        await gatectlOk(dataDir, ['tokens', 'add', '--type', 'engine', '--format', 'json']),
      ) as {
        token: string;
        ca_pin?: string;
        caPin?: string;
      };
      const engineFile = join(root, `engine-${i}.yaml`);
      const diagPort = await findFreePort();
      writeFileSync(
        engineFile,
        `${auditYaml}version: v1
data_dir: ${JSON.stringify(join(root, `engine-${i}-data`))}
auth: { enabled: false }
proxy: { enabled: false }
engine:
  enabled: true
  name: engine-${i}
  proxy_addr: 127.0.0.1:${webPort}
  join: { token: ${JSON.stringify(tokenOut.token)}, ca_pin: ${JSON.stringify(tokenOut.ca_pin ?? tokenOut.caPin)} }
  diag_listen: 127.0.0.1:${diagPort}
${options.engineYaml ?? ''}${databasesYaml}`,
      );
      processes.engines.push(start(engineFile, diagPort));
    }
  }

  const logs = (): string =>
    [processes.proxy, ...processes.engines]
      .filter((p): p is RunningProcess => p !== undefined)
      .map((p) => `--- ${p.configFile}\n${p.output()}`)
      .join('\n');

  async function waitForProxy(): Promise<void> {
    await waitFor('the proxy to answer /readyz', async () => {
      if (processes.proxy?.child.exitCode !== null) throw new Error(`gatehouse exited:\n${logs()}`);
      return (await canConnectTls(webPort)) ? true : undefined;
    });
  }

  async function waitForDatabase(engineCount: number): Promise<void> {
    await waitFor(
      `database '${dbService}' to be served by ${engineCount} healthy engine(s)`,
      async () => {
        const out = await gatectl(dataDir, ['db', 'ls', '--format', 'json']);
        if (out.code !== 0) return undefined;
        const rows = JSON.parse(out.stdout) as Array<{ name: string; health: string; engines?: unknown[] }>;
        const row = rows.find((r) => r.name === dbService && r.health === 'healthy');
        if (!row) return undefined;
        return (row.engines?.length ?? 1) >= engineCount ? true : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${logs()}`);
    });
  }

  await waitForDatabase(options.shape === 'single' ? 1 : (options.engines ?? 1));

  await gatectlOk(dataDir, ['roles', 'create', '-f', writeRoles(root)]);

  return {
    shape: options.shape,
    dataDir,
    db,
    dbService,
    mysqlPort,
    webPort,
    proxyDiagPort,
    mysqlSocket,
    gatectl: (args) => gatectl(dataDir, args),
    async signUser(user, o = {}) {
      const prefix = join(root, `${user}-${Math.random().toString(36).slice(2, 8)}`);
      const args = ['auth', 'sign', '--user', user, '--db', dbService, '--out', prefix];
      if (o.dbUser) args.push('--db-user', o.dbUser);
      if (o.dbName) args.push('--db-name', o.dbName);
      if (o.ttl) args.push('--ttl', o.ttl);
      args.push('--proxy-mysql', `127.0.0.1:${mysqlPort}`);
      await gatectlOk(dataDir, args);
      const files = { certFile: `${prefix}.crt`, keyFile: `${prefix}.key`, casFile: `${prefix}.cas` };
      return {
        ...(o.dbUser ? { dbUser: o.dbUser } : {}),
        ...files,
        cert: readFileSync(files.certFile, 'utf8'),
        key: readFileSync(files.keyFile, 'utf8'),
        cas: readFileSync(files.casFile, 'utf8'),
      };
    },
    async restartProxy() {
      const { configFile, diagPort } = processes.proxy!;
      await stopProcess(processes.proxy);
      processes.proxy = start(configFile, diagPort);
      await waitForProxy();
    },
    async killEngine(index) {
      const engine = processes.engines[index];
      if (!engine) throw new Error(`no engine ${index}`);
      const gone = new Promise((r) => engine.child.once('exit', r));
      engine.child.kill('SIGKILL');
      await gone;
    },
    async stopEngine(index) {
      const engine = processes.engines[index];
      if (!engine) throw new Error(`no engine ${index}`);
      await stopProcess(engine);
    },
    async restartEngine(index) {
      const engine = processes.engines[index];
      if (!engine) throw new Error(`no engine ${index}`);
      processes.engines[index] = start(engine.configFile, engine.diagPort);
      await waitForDatabase(processes.engines.length);
    },
    async killProxy() {
      const proxy = processes.proxy!;
      const gone = new Promise((r) => proxy.child.once('exit', r));
      proxy.child.kill('SIGKILL');
      await gone;
    },
    async startProxyAgain() {
      const { configFile, diagPort } = processes.proxy!;
      processes.proxy = start(configFile, diagPort);
      await waitForProxy();
      await waitForDatabase(options.shape === 'single' ? 1 : processes.engines.length);
    },
    engineDataDir(index) {
      return options.shape === 'single' ? dataDir : join(root, `engine-${index}-data`);
    },
    processIds() {
      return [processes.proxy, ...processes.engines]
        .filter((p): p is RunningProcess => p !== undefined && isRunning(p))
        .map((p) => p.child.pid)
        .filter((pid): pid is number => pid !== undefined);
    },
    engineDiagPort(index) {
      const engine = options.shape === 'single' ? processes.proxy : processes.engines[index];
      if (engine?.diagPort === undefined) throw new Error(`no engine ${index}`);
      return engine.diagPort;
    },
    async engineMetrics() {
      const engines = options.shape === 'single' ? [processes.proxy!] : processes.engines;
      const samples: EngineMetricsSample[] = [];
      for (const [index, engine] of engines.entries()) {
        if (!isRunning(engine) || engine.diagPort === undefined || engine.child.pid === undefined) continue;
        const res = await fetch(`http://127.0.0.1:${engine.diagPort}/metrics`);
        if (!res.ok) throw new Error(`engine ${index} /metrics answered ${res.status}`);
        samples.push({ index, pid: engine.child.pid, values: parseMetrics(await res.text()) });
      }
      return samples;
    },
    logs,
    async stop() {
      await Promise.all([stopProcess(processes.proxy), ...processes.engines.map((e) => stopProcess(e))]);
      await db.stop();
      // Configs, data dirs, certificates and logs: nothing outlives the test that made them.
      rmSync(root, { recursive: true, force: true });
      if (mysqlSocket !== undefined) rmSync(dirname(mysqlSocket), { recursive: true, force: true });
    },
  };
}

function socketActivationWrapper(port: number): string[] {
  const program = findExecutable(['systemd-socket-activate']);
  if (!program)
    throw new Error(
      "systemd-socket-activate is not installed: run 'apt-get install -y systemd' (npm test does this when run as root)",
    );
  return [program, '--listen', `127.0.0.1:${port}`, '--fdname=mysql'];
}

/**
 * Connects and waits for the first bytes (the greeting), then hangs up; retries while nothing
 * listens yet (systemd-socket-activate binds the port a moment after it is spawned).
 */
async function readGreeting(port: number): Promise<void> {
  await waitFor(
    `a greeting on port ${port}`,
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port });
        socket.once('data', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(undefined));
        socket.once('close', () => resolve(undefined));
      }),
    60_000,
  );
}

/** Whether something completes a TLS handshake on the port (the proxy's web listener is up). */
function canConnectTls(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function writeRoles(root: string): string {
  const file = join(root, 'roles.yaml');
  writeFileSync(file, ROLE_YAML);
  return file;
}
