// A scaled-out Gatehouse for end-to-end tests: two proxies (each with its auth part) and two
// engines, every one its own `gatehouse start` process, sharing one PostgreSQL for state and
// audit, behind a TCP balancer for the MySQL and the HTTPS ports. Engines join through the
// balancer and then keep a tunnel to each proxy they learn from the cluster state.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, type MariaDb, type Postgres, startMariaDb, startPostgres, waitFor } from '@gatehouse/testing';
import { gatectl, gatectlOk, startGatehouse } from './cli.js';
import { startTcpBalancer, type TcpBalancer } from './tcp-balancer.js';

export interface ScaleOutProxy {
  readonly name: string;
  readonly mysqlPort: number;
  readonly webPort: number;
  child: ChildProcess;
  output: () => string;
}

export interface ScaleOutCluster {
  readonly pg: Postgres;
  readonly db: MariaDb;
  readonly dbService: string;
  readonly proxies: readonly ScaleOutProxy[];
  readonly mysqlBalancer: TcpBalancer;
  /** gatectl on the shared store (--config), as an operator on any host runs it. */
  gatectl(args: readonly string[]): ReturnType<typeof gatectl>;
  /** Certificate files for `user` (db user app_rw, db name app). */
  signUser(user: string): Promise<{ cert: string; key: string; cas: string }>;
  /** A user whose role lets them read the audit log; returns the --identity prefix of their certificate. */
  signAuditor(user: string): Promise<string>;
  /** The proxies whose process still runs. */
  liveProxies(): ScaleOutProxy[];
  /** Waits until every proxy has a tunnel from every engine. */
  waitForMesh(): Promise<void>;
  /** Starts one more proxy on the same store (not behind the balancer). */
  addProxy(name: string): Promise<ScaleOutProxy>;
  /** SIGKILLs one proxy process. */
  killProxy(index: number): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

const ROLE_YAML = `kind: role
name: e2e-dev
options: { max_session_ttl: 8h }
allow:
  db_labels: { env: [dev] }
  db_users: [app_rw]
  db_names: [app]
---
kind: role
name: e2e-auditor
options: { audit: { read: true } }
`;

export async function startScaleOutCluster(): Promise<ScaleOutCluster> {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-scale-'));
  const dataDir = join(root, 'data');
  // Its own server, not the run's shared one: the tests restart it.
  const pg = await startPostgres({ shared: false });
  const url = await pg.createDatabase('scaleout');
  const keyFile = join(root, 'storage.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const storageYaml = `storage:
  backend: postgres
  url: ${url}
  encryption_key_file: ${JSON.stringify(keyFile)}
`;
  const adminConfig = join(root, 'admin.yaml');
  writeFileSync(adminConfig, `version: v1\ndata_dir: ${JSON.stringify(dataDir)}\n${storageYaml}`);
  const admin = (args: readonly string[]) => gatectl(dataDir, ['--config', adminConfig, ...args]);
  const adminOk = (args: readonly string[]) => gatectlOk(dataDir, ['--config', adminConfig, ...args]);

  await adminOk(['ca', 'init']);
  const dbClientCa = await adminOk(['auth', 'export', '--type', 'db-client']);
  const db = await startMariaDb({ shared: false, trustCaPem: dbClientCa });
  const dbCaFile = join(root, 'db-ca.pem');
  copyFileSync(db.ca.caFile, dbCaFile);
  await db.sql(
    [
      'CREATE DATABASE app',
      'CREATE TABLE app.load_t (id BIGINT AUTO_INCREMENT PRIMARY KEY, worker INT, n INT)',
      "CREATE USER 'app_rw'@'%' REQUIRE SUBJECT '/CN=app_rw'",
      "GRANT ALL ON app.* TO 'app_rw'@'%'",
    ].join('; '),
  );
  const rolesFile = join(root, 'roles.yaml');
  writeFileSync(rolesFile, ROLE_YAML);
  await adminOk(['roles', 'create', '-f', rolesFile]);

  const proxies: ScaleOutProxy[] = [];
  const engines: { child: ChildProcess; output: () => string; name: string }[] = [];
  const logs = (): string => [...proxies, ...engines].map((p) => `--- ${p.name}\n${p.output()}`).join('\n');

  const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;
  const stopChild = async (c: ChildProcess): Promise<void> => {
    if (!running(c)) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  };

  const startProxy = async (name: string): Promise<ScaleOutProxy> => {
    const [mysqlPort, webPort] = [await findFreePort(), await findFreePort()];
    const file = join(root, `${name}.yaml`);
    writeFileSync(
      file,
      `version: v1
data_dir: ${JSON.stringify(dataDir)}
log: { level: info }
${storageYaml}auth: { enabled: true }
proxy:
  enabled: true
  name: ${name}
  mysql_listen: 127.0.0.1:${mysqlPort}
  web_listen: 127.0.0.1:${webPort}
  # Each proxy its own diagnostics port (the default, 3081, would clash between the two).
  diag_listen: 127.0.0.1:0
  public_addr: [localhost, 127.0.0.1]
  tunnel_public_addr: 127.0.0.1:${webPort}
  limits: { handshake_timeout: 5s }
engine: { enabled: false }
`,
    );
    const proxy = { name, mysqlPort, webPort, ...startGatehouse(file) };
    proxies.push(proxy);
    await waitFor(
      `${proxy.name} to register in the cluster`,
      async () => {
        if (proxy.child.exitCode !== null) throw new Error(`${proxy.name} exited:\n${logs()}`);
        return proxy.output().includes('proxy registered in the cluster') ? true : undefined;
      },
      60_000,
    );
    return proxy;
  };
  // A proxy that fails to start must not leave the other one (and the servers) running.
  const abandon = async (err: unknown): Promise<never> => {
    await Promise.all([...proxies, ...engines].map((p) => stopChild(p.child)));
    await db.stop();
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  };
  await Promise.all(['proxy-a', 'proxy-b'].map(startProxy)).catch(abandon);
  const webBalancer = await startTcpBalancer(proxies.map((p) => p.webPort));
  const mysqlBalancer = await startTcpBalancer(proxies.map((p) => p.mysqlPort));

  for (let i = 0; i < 2; i++) {
    const token = JSON.parse(await adminOk(['tokens', 'add', '--type', 'engine', '--format', 'json'])) as {
      token: string;
      ca_pin: string;
    };
    const file = join(root, `engine-${i}.yaml`);
    writeFileSync(
      file,
      `version: v1
data_dir: ${JSON.stringify(join(root, `engine-${i}-data`))}
auth: { enabled: false }
proxy: { enabled: false }
engine:
  enabled: true
  name: engine-${i}
  proxy_addr: 127.0.0.1:${webBalancer.port}
  join: { token: ${JSON.stringify(token.token)}, ca_pin: ${JSON.stringify(token.ca_pin)} }
  diag_listen: 127.0.0.1:${await findFreePort()}
  databases:
    - name: mariadb
      uri: 127.0.0.1:${db.port}
      labels: { env: dev }
      tls: { mode: verify-full, ca_file: ${JSON.stringify(dbCaFile)} }
      auth: { mode: x509 }
`,
    );
    engines.push({ name: `engine-${i}`, ...startGatehouse(file) });
  }

  return {
    pg,
    db,
    dbService: 'mariadb',
    proxies,
    mysqlBalancer,
    gatectl: admin,
    async signUser(user) {
      await adminOk(['users', 'add', user, '--roles', 'e2e-dev']);
      const prefix = join(root, user);
      await adminOk([
        'auth',
        'sign',
        '--user',
        user,
        '--db',
        'mariadb',
        '--db-user',
        'app_rw',
        '--db-name',
        'app',
        '--out',
        prefix,
      ]);
      return {
        cert: readFileSync(`${prefix}.crt`, 'utf8'),
        key: readFileSync(`${prefix}.key`, 'utf8'),
        cas: readFileSync(`${prefix}.cas`, 'utf8'),
      };
    },
    async signAuditor(user) {
      await adminOk(['users', 'add', user, '--roles', 'e2e-auditor', '--db-users', 'app_rw']);
      const prefix = join(root, user);
      await adminOk(['auth', 'sign', '--user', user, '--db', 'mariadb', '--db-user', 'app_rw', '--out', prefix]);
      return prefix;
    },
    liveProxies: () => proxies.filter((p) => running(p.child)),
    async waitForMesh() {
      const live = proxies.filter((p) => running(p.child)).map((p) => p.name);
      await waitFor(
        `both engines to have a tunnel to ${live.join(' and ')}`,
        async () => {
          // Each proxy's registry snapshot (what `gatectl db ls` merges) names the engines it reaches.
          for (const proxy of live) {
            const file = join(dataDir, 'run', `proxy-${proxy}.json`);
            if (!existsSync(file)) return undefined;
            const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
              databases: { name: string; engines: { engineId: string; health: string }[] }[];
            };
            const engines = snapshot.databases.find((d) => d.name === 'mariadb')?.engines ?? [];
            const healthy = new Set(engines.filter((e) => e.health === 'healthy').map((e) => e.engineId));
            if (!healthy.has('engine-0') || !healthy.has('engine-1')) return undefined;
          }
          return true;
        },
        90_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${logs()}`);
      });
    },
    addProxy: startProxy,
    async killProxy(index) {
      const proxy = proxies[index]!;
      const gone = new Promise((r) => proxy.child.once('exit', r));
      proxy.child.kill('SIGKILL');
      await gone;
    },
    logs,
    async stop() {
      await Promise.all([...proxies, ...engines].map((p) => stopChild(p.child)));
      await mysqlBalancer.close();
      await webBalancer.close();
      await db.stop();
      await pg.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
