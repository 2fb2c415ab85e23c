// An engine in front of a real MariaDB replication set (a primary and replicas started by the
// harness), with password logins, a monitor user, and a way to open sessions through a tunnel
// pair the way the proxy does. One set per test file: starting servers is the slow part.
import type { TestContext } from 'node:test';
import { DatabaseSchema, EngineConfigSchema } from '@gatehouse/common';
import { type MariaDb, type ReplicationSet, startMariaDbReplication } from '@gatehouse/testing';
import type { StreamOpenHeader } from '@gatehouse/tunnel';
import pino from 'pino';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestCluster, makeRole, makeUser, type TestCluster } from '../session/cluster-fixture.js';
import { RawClient } from '../session/raw-client.js';
import { CLIENT_CAPS, readOnePacket } from '../session/session-fixture.js';
import { createTunnelPair } from '../session/tunnel-pair.js';

export const SERVICE = 'shop';
export const SCHEMA = 'shopdb';
export const APP_USER = 'gh_app';
export const MONITOR_USER = 'gh_monitor';

export interface Session {
  readonly client: RawClient;
  readonly login: Buffer;
  readonly sessionId: string;
}

export interface ReplicationFixture {
  readonly set: ReplicationSet;
  readonly cluster: TestCluster;
  /** Every server, the primary first: `uri(i)` is its host:port. */
  readonly servers: readonly MariaDb[];
  uri(server: MariaDb): string;
  /** A database config over the given servers (default all), with the given extra keys. */
  database(extra?: Record<string, unknown>, servers?: readonly MariaDb[]): ReturnType<typeof DatabaseSchema.parse>;
  /** An engine serving `database` (with `engine` keys such as hooks); closed after the test. */
  startEngine(
    t: TestContext,
    database: ReturnType<typeof DatabaseSchema.parse>,
    engine?: Record<string, unknown>,
  ): Promise<Engine>;
  /** Opens a session through `engine` with a certificate for `user`. */
  open(
    t: TestContext,
    engine: Engine,
    user: string,
    options?: { dbRole?: string; clientHost?: string; attributes?: Record<string, string> },
  ): Promise<Session>;
  stop(): Promise<void>;
}

/** The single value of a one-row, one-column text result (CLIENT_DEPRECATE_EOF framing). */
export function scalar(packets: readonly Buffer[]): string {
  const row = packets[2];
  if (row === undefined) throw new Error(`no row in a reply of ${packets.length} packets`);
  const length = row[0]!;
  if (length >= 0xfb) throw new Error('scalar: NULL or a long value');
  return row.toString('utf8', 1, 1 + length);
}

export async function startReplicationFixture(
  options: { replicas?: number; args?: readonly string[] } = {},
): Promise<ReplicationFixture> {
  const set = await startMariaDbReplication({
    replicas: options.replicas ?? 1,
    ...(options.args !== undefined ? { args: options.args } : {}),
  });
  const { primary } = set;
  const servers = [primary, ...set.replicas];
  // Created on the primary and replicated, so every server has the accounts and the schema.
  await primary.sql(
    [
      `CREATE DATABASE ${SCHEMA}`,
      `CREATE TABLE ${SCHEMA}.items (id INT PRIMARY KEY, name VARCHAR(40))`,
      `CREATE USER '${APP_USER}'@'%' IDENTIFIED BY 'app-pw'`,
      `GRANT ALL ON ${SCHEMA}.* TO '${APP_USER}'@'%'`,
      `GRANT PROCESS ON *.* TO '${APP_USER}'@'%'`,
      `CREATE USER '${MONITOR_USER}'@'%' IDENTIFIED BY 'monitor-pw'`,
      `GRANT SLAVE MONITOR ON *.* TO '${MONITOR_USER}'@'%'`,
    ].join('; '),
  );
  for (const replica of set.replicas) await set.waitForReplica(replica);
  process.env.GH_TEST_APP_PW = 'app-pw';
  process.env.GH_TEST_MONITOR_PW = 'monitor-pw';
  // A throwaway test context is not available here: the cluster's temp dir goes with stop().
  const cleanups: (() => void | Promise<void>)[] = [];
  const cluster = await createTestCluster({ after: (fn: () => void) => cleanups.push(fn) } as unknown as TestContext);
  cluster.setRoles([
    makeRole('app', { allow: { db_labels: { env: 'test' }, db_users: [APP_USER], db_names: [SCHEMA] } }),
  ]);
  cluster.setUsers(
    ['alice', 'bob', 'carol', 'dave', ...Array.from({ length: 40 }, (_, i) => `user${i}`)].map((u) =>
      makeUser(u, ['app']),
    ),
  );
  const uri = (server: MariaDb): string => `${server.host}:${server.port}`;
  let sessions = 0;

  return {
    set,
    cluster,
    servers,
    uri,
    database(extra = {}, list = servers) {
      return DatabaseSchema.parse({
        name: SERVICE,
        backends: list.map((s) => ({ uri: uri(s) })),
        labels: { env: 'test' },
        tls: { mode: 'disable' },
        auth: {
          mode: 'password',
          credentials: {
            [APP_USER]: { password_env: 'GH_TEST_APP_PW' },
            [MONITOR_USER]: { password_env: 'GH_TEST_MONITOR_PW' },
          },
        },
        monitor: { user: MONITOR_USER, timeout: '5s' },
        ...extra,
      });
    },
    async startEngine(t, database, extra = {}) {
      const config = EngineConfigSchema.parse({
        name: 'engine-test',
        health_check_interval: '1h',
        databases: [],
        ...extra,
      });
      const engine = await createEngine({
        config: { ...config, databases: [database] },
        log: pino({ level: 'silent' }),
        cluster: { ...cluster, close: async () => {} },
        diag: false,
      });
      t.after(() => engine.close({ graceMs: 0 }));
      await engine.checkHealth();
      return engine;
    },
    async open(t, engine, user, o = {}) {
      const cert = await cluster.issueUser({
        user,
        roles: ['app'],
        dbService: SERVICE,
        dbUser: APP_USER,
        dbName: SCHEMA,
        ...(o.dbRole !== undefined ? { dbRole: o.dbRole } : {}),
      });
      const pair = createTunnelPair((incoming) => engine.handleStream(incoming));
      t.after(() => pair.close());
      const header: StreamOpenHeader = {
        sessionId: `sess-${++sessions}`,
        clientAddress: { host: o.clientHost ?? '192.0.2.10', port: 40000 + sessions },
        route: { dbService: SERVICE, dbUser: APP_USER, dbName: SCHEMA },
        capabilities: CLIENT_CAPS,
        mariadbCapabilities: 0,
        connectionAttributes: o.attributes ?? { program_name: 'backends-test' },
        extensions: { proxyId: 'proxy-test', charset: 45, maxPacketSize: 16 * 1024 * 1024 },
        clientCertChain: [cert],
      };
      const stream = await pair.proxy.openStream(header);
      const { payload } = await readOnePacket(stream);
      const client = new RawClient(stream, CLIENT_CAPS);
      stream.resume();
      return { client, login: payload, sessionId: header.sessionId };
    },
    async stop() {
      for (const fn of cleanups) await fn();
      await set.stop();
    },
  };
}
