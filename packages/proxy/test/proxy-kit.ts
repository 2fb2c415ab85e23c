// Test kit for the proxy: a data dir with real CAs and a store, a started proxy on port 0, user
// certificates, and a stub engine that dials the real tunnel and answers sessions as told.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Authorities,
  initAuthorities,
  issueHostCert,
  issueUserCert,
  openJsonlAuditStore,
  openStore,
  type Store,
} from '@gatehouse/auth';
import { createLogger, GatehouseConfigSchema, type Logger } from '@gatehouse/common';
import {
  connectUpstream,
  fetchMysqlVersion,
  serializeErrPacket,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import { waitFor } from '@gatehouse/testing';
import {
  type DatabaseInfo,
  type IncomingStream,
  type StreamOpenHeader,
  TUNNEL_PROTOCOL_VERSION,
  TunnelConnection,
} from '@gatehouse/tunnel';
import { WebSocket } from 'ws';
import type { PeerCredentialsSupport } from '../src/front-door/unix-peer.js';
import { type RunningProxy, startProxy } from '../src/index.js';

export interface TestContext {
  after(fn: () => unknown): void;
}

export const quietLog: Logger = createLogger({ level: process.env.GATEHOUSE_TEST_LOG ?? 'silent' });

export interface Cluster {
  readonly dir: string;
  readonly authorities: Authorities;
  readonly store: Store;
  readonly hostCaPem: string;
}

/** A data dir with the three CAs, a store with role 'dev' and user 'alice'. */
export async function createCluster(t: TestContext): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-proxy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { authorities } = await initAuthorities(dir);
  const store = await openStore({ dataDir: dir });
  t.after(() => store.close());
  await store.putRole({
    kind: 'role',
    name: 'dev',
    allow: { db_labels: { '*': '*' }, db_users: ['*'], db_names: ['*'] },
  });
  await store.addUser({ name: 'alice', roles: ['dev'] });
  return { dir, authorities, store, hostCaPem: authorities.exportPem('host') };
}

export async function startTestProxy(
  t: TestContext,
  cluster: Cluster,
  config: Record<string, unknown> = {},
  extra: { audit?: boolean; engineCertTtlMs?: number; peerCredentials?: PeerCredentialsSupport } = {},
): Promise<RunningProxy> {
  const parsed = GatehouseConfigSchema.parse({
    proxy: {
      mysql_listen: '127.0.0.1:0',
      web_listen: '127.0.0.1:0',
      diag_listen: '127.0.0.1:0',
      public_addr: ['localhost', '127.0.0.1'],
      ...config,
    },
  }).proxy;
  const audit = extra.audit ? await openJsonlAuditStore({ dir: join(cluster.dir, 'audit') }) : undefined;
  const proxy = await startProxy({
    config: parsed,
    authorities: cluster.authorities,
    store: cluster.store,
    ...(audit !== undefined ? { audit } : {}),
    log: quietLog,
    proxyId: 'proxy-test',
    greetingCacheMs: 0,
    ...(extra.engineCertTtlMs !== undefined ? { engineCertTtlMs: extra.engineCertTtlMs } : {}),
    ...(extra.peerCredentials !== undefined ? { peerCredentials: extra.peerCredentials } : {}),
  });
  t.after(() => proxy.close());
  if (audit !== undefined) t.after(() => audit.close());
  return proxy;
}

export interface UserCertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface UserCertOptions {
  readonly user?: string;
  readonly dbService?: string;
  readonly dbUser?: string;
  readonly dbName?: string;
  /** Issue as if at this time (for expired certificates). */
  readonly now?: Date;
  readonly ttlMs?: number;
}

export async function issueUserFiles(
  cluster: Cluster,
  name: string,
  options: UserCertOptions = {},
): Promise<UserCertFiles> {
  const issued = await issueUserCert(await cluster.authorities.signer('user'), {
    user: options.user ?? 'alice',
    roles: ['dev'],
    dbService: options.dbService ?? 'db1',
    ...(options.dbUser !== undefined ? { dbUser: options.dbUser } : {}),
    ...(options.dbName !== undefined ? { dbName: options.dbName } : {}),
    dbUsers: [],
    dbNames: [],
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
  });
  const certFile = join(cluster.dir, `${name}.crt`);
  const keyFile = join(cluster.dir, `${name}.key`);
  await writeFile(certFile, issued.certificate);
  await writeFile(keyFile, issued.privateKey, { mode: 0o600 });
  return { certFile, keyFile, cert: issued.certificate, key: issued.privateKey };
}

/** What the stub engine does with a session stream. */
export type StubBehaviour =
  | { readonly kind: 'ok-echo' }
  | { readonly kind: 'err'; readonly errno: number; readonly sqlState: string; readonly message: string }
  | { readonly kind: 'reject'; readonly code: string; readonly message: string }
  | { readonly kind: 'upstream'; readonly socketPath: string };

export interface StubEngine {
  readonly engineId: string;
  readonly headers: StreamOpenHeader[];
  behaviour: StubBehaviour;
  close(): void;
}

export function stubDatabase(name: string, overrides: Partial<DatabaseInfo> = {}): DatabaseInfo {
  return {
    name,
    labels: {},
    health: 'healthy',
    serverVersion: '5.5.5-10.11.6-MariaDB',
    capabilities: 0xfffffffe,
    mariadbCapabilities: 0x1f,
    ...overrides,
  };
}

/** The database as an engine would register it: what the real server's greeting says. */
export async function describeServer(name: string, socketPath: string): Promise<DatabaseInfo> {
  const info = await fetchMysqlVersion({ kind: 'unix', path: socketPath });
  return stubDatabase(name, {
    serverVersion: info.version,
    capabilities: info.handshake.capabilities,
    mariadbCapabilities: info.handshake.mariaDbCapabilities,
  });
}

function answer(incoming: IncomingStream, behaviour: StubBehaviour): void {
  if (behaviour.kind === 'reject') {
    incoming.reject({ code: behaviour.code, message: behaviour.message });
    return;
  }
  const caps = incoming.header.capabilities;
  if (behaviour.kind === 'upstream') {
    const stream = incoming.accept();
    void (async () => {
      const upstream = await connectUpstream({
        address: { kind: 'unix', path: behaviour.socketPath },
        user: 'root',
        capabilities: caps,
        mariaDbCapabilities: incoming.header.mariadbCapabilities,
        ...(incoming.header.route.dbName !== '' ? { database: incoming.header.route.dbName } : {}),
      });
      stream.write(serializePacket(serializeOkPacket({ statusFlags: upstream.statusFlags }, caps), 0));
      if (upstream.leftover.length > 0) stream.write(upstream.leftover);
      stream.pipe(upstream.socket);
      upstream.socket.pipe(stream);
      stream.on('error', () => upstream.socket.destroy());
      upstream.socket.on('error', () => stream.destroy());
    })().catch((err: Error) => {
      stream.end(
        serializePacket(serializeErrPacket({ errno: 1105, sqlState: 'HY000', message: err.message }, caps), 0),
      );
    });
    return;
  }
  const stream = incoming.accept();
  stream.on('error', () => {});
  if (behaviour.kind === 'err') {
    stream.end(serializePacket(serializeErrPacket(behaviour, caps), 0));
    return;
  }
  stream.write(serializePacket(serializeOkPacket({ statusFlags: 2 }, caps), 0));
  stream.pipe(stream);
}

/** An engine that dials the proxy's tunnel with a host certificate and registers `databases`. */
export async function startStubEngine(
  t: TestContext,
  cluster: Cluster,
  proxy: RunningProxy,
  engineId: string,
  databases: readonly DatabaseInfo[],
  behaviour: StubBehaviour = { kind: 'ok-echo' },
): Promise<StubEngine> {
  const issued = await issueHostCert(await cluster.authorities.signer('host'), { name: engineId, sans: [] });
  const ws = new WebSocket(`wss://127.0.0.1:${proxy.webAddress.port}/v1/tunnel`, {
    cert: issued.certificate,
    key: issued.privateKey,
    ca: cluster.hostCaPem,
    perMessageDeflate: false,
  });
  ws.binaryType = 'nodebuffer';
  const engine: StubEngine = {
    engineId,
    headers: [],
    behaviour,
    close: () => connection.close(),
  };
  const connection = new TunnelConnection({
    transport: { send: (m, done) => ws.send(m, done), close: () => ws.close(1000), terminate: () => ws.terminate() },
    role: 'engine',
    log: quietLog,
    onStream: (incoming) => {
      engine.headers.push(incoming.header);
      answer(incoming, engine.behaviour);
    },
  });
  ws.on('message', (data) => connection.receive(data as Buffer));
  ws.on('close', () => connection.transportClosed());
  ws.on('error', (err) => connection.transportClosed(err));
  await once(ws, 'open');
  connection.sendRegistration('register', {
    engineId,
    version: 'test',
    protocol: TUNNEL_PROTOCOL_VERSION,
    databases: [...databases],
  });
  await waitFor(`engine ${engineId} to register`, () =>
    proxy.tunnel.registry.engines().some((e) => e.engineId === engineId),
  );
  t.after(() => connection.close());
  return engine;
}

/** A raw TCP client for the byte-level tests: collects what the proxy sends. */
export interface RawClient {
  readonly socket: Socket;
  /** Resolves with the next whole MySQL packet (payload and sequence id). */
  readPacket(): Promise<{ payload: Buffer; sequenceId: number }>;
  /** Resolves when the proxy closed the connection. */
  closed: Promise<void>;
}

export async function connectRaw(t: TestContext, port: number): Promise<RawClient> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  let buffered = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiter?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    closed,
    async readPacket() {
      for (;;) {
        if (buffered.length >= 4) {
          const length = buffered.readUIntLE(0, 3);
          if (buffered.length >= 4 + length) {
            const packet = { payload: buffered.subarray(4, 4 + length), sequenceId: buffered[3]! };
            buffered = buffered.subarray(4 + length);
            return packet;
          }
        }
        await Promise.race([
          new Promise<void>((resolve) => (waiter = resolve)),
          closed.then(() => {
            throw new Error('connection closed before a whole packet arrived');
          }),
        ]);
      }
    },
  };
}
