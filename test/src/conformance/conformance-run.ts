// Runs a list of MariaDB `main` suite tests against one private MariaDB twice: direct, and
// through a one-process gateway (auth + proxy + engine) as an external server, in the text and
// the binary (--ps-protocol) protocol. Both routes log in as the same db user (root@127.0.0.1,
// known by a client certificate) over TCP and TLS, so a difference comes from the gateway alone.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Cluster, startCluster } from '../support/cluster.js';
import { findMtrDir, type MtrOutcome, type MtrTarget, runMtrTest } from './mtr.js';
import { prepareServer, recordBaseline, type StateCheck } from './server-state.js';

/** The server options mtr's default my.cnf gives the server its results were recorded on. */
const MTR_SERVER_ARGS = [
  '--character-set-server=latin1',
  '--collation-server=latin1_swedish_ci',
  '--secure-file-priv=',
  '--log-bin=mysqld-bin',
  '--log-bin-trust-function-creators=1',
  '--default-storage-engine=myisam',
  '--use-stat-tables=preferably',
  '--histogram-type=json_hb',
  '--max-heap-table-size=1M',
  '--sort-buffer-size=256K',
  '--key-buffer-size=1M',
  '--max-allowed-packet=16M',
  '--connect-timeout=60',
  // 127.0.0.1 must be `localhost` to the server, as a unix socket login is in mtr's results
  // (DEFINER=root@localhost, USER()).
  '--skip-name-resolve=0',
];

export type Route = 'direct' | 'gateway';
export type Protocol = 'text' | 'ps';

export interface CaseResult {
  readonly test: string;
  readonly protocol: Protocol;
  readonly direct: MtrOutcome;
  readonly gateway: MtrOutcome;
  /** What the server-state check found after each route's run. */
  readonly state: Readonly<Record<Route, StateCheck>>;
}

export interface RunOptions {
  readonly tests: readonly string[];
  readonly protocols?: readonly Protocol[];
  /** Called after each case, for progress output. */
  readonly onResult?: (result: CaseResult) => void;
}

async function setUp(cluster: Cluster, mtrDir: string): Promise<Record<Route, MtrTarget>> {
  const { db } = cluster;
  await prepareServer(db, mtrDir);
  // root@localhost with no password over TCP as well, as in the server mtr bootstraps for itself:
  // mtr's results name root@localhost. The engine's x509 login as root then passes too.
  await db.sql("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')");
  const roleFile = join(cluster.dataDir, '..', 'conformance-role.yaml');
  writeFileSync(
    roleFile,
    `kind: role
name: conformance
options: { allow_local_infile: true }
allow:
  db_labels: { env: [dev] }
  db_users: ['*']
  db_names: ['*']
`,
  );
  for (const args of [
    ['roles', 'create', '-f', roleFile],
    ['users', 'add', 'mtr', '--roles', 'conformance'],
  ]) {
    const r = await cluster.gatectl(args);
    if (r.code !== 0) throw new Error(`gatectl ${args.join(' ')}: ${r.stderr}`);
  }
  // No db name in the certificate: each connection's own (or none) applies, as direct.
  const person = await cluster.signUser('mtr', { dbUser: 'root' });
  const vardir = join(cluster.dataDir, '..', 'mtr');
  return {
    direct: {
      vardir: join(vardir, 'direct'),
      extern: {
        host: '127.0.0.1',
        port: String(db.port),
        protocol: 'tcp',
        user: 'root',
        'ssl-ca': db.ca.caFile,
      },
    },
    gateway: {
      vardir: join(vardir, 'gateway'),
      extern: {
        host: '127.0.0.1',
        port: String(cluster.mysqlPort),
        protocol: 'tcp',
        user: 'root',
        'ssl-ca': person.casFile,
        'ssl-cert': person.certFile,
        'ssl-key': person.keyFile,
      },
    },
  };
}

/** Runs every test in every protocol, direct then through the gateway, each in its own mtr. */
export async function runConformance(options: RunOptions): Promise<CaseResult[]> {
  const mtrDir = findMtrDir();
  const cluster = await startCluster({ shape: 'single', dbArgs: MTR_SERVER_ARGS });
  try {
    const targets = await setUp(cluster, mtrDir);
    const state = await recordBaseline(cluster.db, mtrDir, join(cluster.dataDir, '..', 'baseline.result'));
    const results: CaseResult[] = [];
    let broken: string | undefined;
    for (const test of options.tests) {
      for (const protocol of options.protocols ?? ['text', 'ps']) {
        const ps = protocol === 'ps';
        // A test that breaks the server (a crash, system tables gone) ends the run: what follows
        // would fail for its sake. Its own row says so.
        const after = (route: Route): Promise<StateCheck> =>
          state.checkAndRestore().catch((err: Error) => {
            broken = `after main.${test} (${protocol}, ${route}) the server is not usable: ${err.message}`;
            return { leaked: true, unrestored: broken };
          });
        const direct = await runMtrTest(mtrDir, test, targets.direct, ps);
        const directState = await after('direct');
        const gateway = await runMtrTest(mtrDir, test, targets.gateway, ps);
        const gatewayState = await after('gateway');
        const result = { test, protocol, direct, gateway, state: { direct: directState, gateway: gatewayState } };
        results.push(result);
        options.onResult?.(result);
        if (broken !== undefined) throw new Error(broken);
      }
    }
    return results;
  } finally {
    await cluster.stop();
    // mtr's var directories (logs, rejects); the cluster's own files are its business.
    rmSync(join(cluster.dataDir, '..', 'mtr'), { recursive: true, force: true });
  }
}
