// Stands up what an engine session needs against the harness MariaDB: a cluster with a role and
// a user, a password-mode or x509 database, and a tunnel pair whose proxy end opens streams the
// way the proxy does.
import type { TestContext } from 'node:test';
import { type Audit, createAudit, type DatabaseConfig, DatabaseSchema } from '@gatehouse/common';
import { Capability, PacketParser } from '@gatehouse/mysql-protocol';
import { type MariaDb, startMariaDb } from '@gatehouse/testing';
import type { StreamOpenHeader, TunnelStream } from '@gatehouse/tunnel';
import pino from 'pino';
import type { HookRunner } from '../../src/hooks/hook-runner.js';
import { type RelayCounters, type SessionHandle, startSession, ThreadRegistry } from '../../src/index.js';
import { createTestCluster, makeRole, makeUser, type TestCluster } from './cluster-fixture.js';
import { createTunnelPair } from './tunnel-pair.js';

export const CLIENT_CAPS =
  Capability.LongPassword |
  Capability.LongFlag |
  Capability.Protocol41 |
  Capability.Transactions |
  Capability.SecureConnection |
  Capability.MultiStatements |
  Capability.MultiResults |
  Capability.PsMultiResults |
  Capability.PluginAuth |
  Capability.PluginAuthLenencClientData |
  Capability.DeprecateEof;

export interface Fixture {
  readonly db: MariaDb;
  readonly cluster: TestCluster;
  readonly database: DatabaseConfig;
  readonly schema: string;
  readonly dbUser: string;
  /** A second db user with a credential (password mode), for COM_CHANGE_USER. */
  readonly otherDbUser: string;
  readonly counters: RelayCounters;
  readonly sessions: SessionHandle[];
  /** What the sessions' error boundary caught (onHandlerError). */
  readonly handlerErrors: unknown[];
  /** The engine's end of each stream it accepted, in order. */
  readonly engineStreams: TunnelStream[];
  open(options: OpenOptions): Promise<Opened>;
}

export interface OpenOptions {
  readonly cert: Buffer;
  readonly dbUser?: string;
  readonly dbName?: string;
  readonly capabilities?: number;
  readonly streamWindow?: number;
}

export interface Opened {
  readonly stream: TunnelStream;
  /** The login result payload (OK or ERR). */
  readonly login: Buffer;
  readonly loginSequenceId: number;
}

export const SERVICE = 'orders';

export async function createFixture(
  t: TestContext,
  options: {
    roles?: Parameters<TestCluster['setRoles']>[0];
    wrapAudit?: (audit: Audit) => Audit;
    hooks?: HookRunner;
  } = {},
): Promise<Fixture> {
  const db = await startMariaDb();
  const schema = db.uniqueName('shop');
  const other = `${schema}_secret`;
  const dbUser = db.uniqueName('app');
  const password = `pw-${dbUser}`;
  const otherDbUser = `${dbUser}_b`;
  await db.sql(`CREATE DATABASE ${schema}`);
  await db.sql(`CREATE DATABASE ${other}`);
  await db.sql(`CREATE USER '${dbUser}'@'%' IDENTIFIED BY '${password}'`);
  await db.sql(`GRANT ALL ON ${schema}.* TO '${dbUser}'@'%'`);
  await db.sql(`GRANT ALL ON ${other}.* TO '${dbUser}'@'%'`);
  await db.sql(`CREATE USER '${otherDbUser}'@'%' IDENTIFIED BY '${password}-b'`);
  await db.sql(`GRANT ALL ON ${schema}.* TO '${otherDbUser}'@'%'`);
  t.after(async () => {
    await db.sql(`DROP USER IF EXISTS '${dbUser}'@'%'`).catch(() => {});
    await db.sql(`DROP USER IF EXISTS '${otherDbUser}'@'%'`).catch(() => {});
    await db.sql(`DROP DATABASE IF EXISTS ${schema}`).catch(() => {});
    await db.sql(`DROP DATABASE IF EXISTS ${other}`).catch(() => {});
  });
  const env = `GH_TEST_PW_${dbUser.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  process.env[env] = password;
  process.env[`${env}_B`] = `${password}-b`;
  const database = DatabaseSchema.parse({
    name: SERVICE,
    uri: `${db.host}:${db.port}`,
    labels: { env: 'dev' },
    tls: { mode: 'verify-ca', ca_file: db.ca.caFile },
    auth: {
      mode: 'password',
      credentials: { [dbUser]: { password_env: env }, [otherDbUser]: { password_env: `${env}_B` } },
    },
  });
  const cluster = await createTestCluster(t);
  cluster.setRoles(
    options.roles ?? [
      makeRole('dev', {
        options: { client_idle_timeout: '1h' },
        allow: { db_labels: { env: 'dev' }, db_users: [dbUser], db_names: [schema] },
      }),
    ],
  );
  cluster.setUsers([makeUser('alice', ['dev']), makeUser('bob', ['dev'])]);
  const counters: RelayCounters = { bytesFromClient: 0, bytesToClient: 0, commands: 0, deniedCommands: 0 };
  const sessions: SessionHandle[] = [];
  const threads = new ThreadRegistry();
  const created = createAudit({ sink: cluster.auditSink });
  const audit = options.wrapAudit?.(created) ?? created;
  const handlerErrors: unknown[] = [];
  const engineStreams: TunnelStream[] = [];
  const log = pino({ level: 'silent' });

  return {
    db,
    cluster,
    database,
    schema,
    dbUser,
    otherDbUser,
    counters,
    sessions,
    handlerErrors,
    engineStreams,
    async open(o) {
      const pair = createTunnelPair((incoming) => {
        const accept = (): TunnelStream => {
          const stream = incoming.accept();
          engineStreams.push(stream);
          return stream;
        };
        const handle = startSession(
          { header: incoming.header, accept, reject: (e) => incoming.reject(e) },
          {
            engineId: 'engine-test',
            database,
            cluster,
            signer: cluster,
            audit,
            auditGate: cluster.auditGate!,
            threads,
            counters,
            log,
            onHandlerError: (err) => handlerErrors.push(err),
            ...(options.hooks !== undefined ? { hooks: options.hooks } : {}),
          },
        );
        sessions.push(handle);
      }, o.streamWindow);
      t.after(() => pair.close());
      const header: StreamOpenHeader = {
        sessionId: db.uniqueName('sess'),
        clientAddress: { host: '192.0.2.10', port: 40000 },
        route: { dbService: SERVICE, dbUser: o.dbUser ?? dbUser, dbName: o.dbName ?? schema },
        capabilities: o.capabilities ?? CLIENT_CAPS,
        mariadbCapabilities: 0,
        connectionAttributes: { program_name: 'engine-test' },
        extensions: {
          proxyId: 'proxy-test',
          charset: 45,
          maxPacketSize: 16 * 1024 * 1024,
          authPlugin: 'caching_sha2_password',
        },
        clientCertChain: [o.cert],
      };
      const stream = await pair.proxy.openStream(header);
      const { payload, sequenceId } = await readOnePacket(stream);
      return { stream, login: payload, loginSequenceId: sequenceId };
    },
  };
}

/**
 * The header a proxy opens a stream with, for db user 'app' with no schema: what the tests that
 * start their own session (against a fake or a password-mode server) send.
 */
export function appStreamHeader(
  sessionId: string,
  dbService: string,
  cert: StreamOpenHeader['clientCertChain'][number],
): StreamOpenHeader {
  return {
    sessionId,
    clientAddress: { host: '192.0.2.10', port: 40000 },
    route: { dbService, dbUser: 'app', dbName: '' },
    capabilities: CLIENT_CAPS,
    mariadbCapabilities: 0,
    connectionAttributes: {},
    extensions: { proxyId: 'proxy-test', charset: 45, maxPacketSize: 16 * 1024 * 1024 },
    clientCertChain: [cert],
  };
}

/** Reads exactly one packet from the stream and leaves the rest unread. */
export function readOnePacket(stream: TunnelStream): Promise<{ payload: Buffer; sequenceId: number }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const length = buffered.readUIntLE(0, 3);
      if (buffered.length < 4 + length) return;
      stream.off('data', onData);
      stream.pause();
      const rest = buffered.subarray(4 + length);
      if (rest.length > 0) stream.unshift(rest);
      resolve({ payload: buffered.subarray(4, 4 + length), sequenceId: buffered[3]! });
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

export { PacketParser };
