import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLogger } from '@gatehouse/common';
import {
  createTunnelClient,
  type TunnelClient,
  type TunnelClientOptions,
  type TunnelClientState,
} from '@gatehouse/engine';
import { createTunnelWebServer, TunnelServer, type TunnelServerOptions } from '@gatehouse/proxy';
import { createTestCa, type TestCa, waitFor } from '@gatehouse/testing';
import type { DatabaseInfo, IncomingStream, StreamOpenHeader, TunnelStream } from '@gatehouse/tunnel';

export const log = createLogger({ level: process.env.GATEHOUSE_TEST_LOG ?? 'silent' });

export interface Pki {
  readonly ca: TestCa;
  readonly proxyCert: string;
  readonly proxyKey: string;
  engine(name: string): Promise<{ cert: string; key: string }>;
}

export async function createPki(t: TestContext): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-tunnel-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await createTestCa(dir, 'Gatehouse Host CA');
  const proxy = await ca.issue({
    name: 'proxy',
    subject: '/CN=proxy',
    sans: ['IP:127.0.0.1', 'DNS:localhost'],
    usage: 'server',
  });
  return {
    ca,
    proxyCert: await readFile(proxy.certFile, 'utf8'),
    proxyKey: await readFile(proxy.keyFile, 'utf8'),
    async engine(name) {
      const files = await ca.issue({ name, subject: `/CN=${name}`, usage: 'client' });
      return { cert: await readFile(files.certFile, 'utf8'), key: await readFile(files.keyFile, 'utf8') };
    },
  };
}

export interface RunningProxy {
  readonly tunnel: TunnelServer;
  readonly port: number;
  close(): Promise<void>;
}

export const fastHeartbeat = { heartbeatInterval: 100, heartbeatTimeout: 600 } as const;

export async function startProxy(
  t: TestContext,
  pki: Pki,
  port = 0,
  options: Partial<TunnelServerOptions> = {},
): Promise<RunningProxy> {
  const tunnel = new TunnelServer({ hostCaPems: [pki.ca.caPem], log, ...fastHeartbeat, ...options });
  const app = createTunnelWebServer({
    cert: pki.proxyCert,
    key: pki.proxyKey,
    clientCaPems: [pki.ca.caPem],
    tunnel,
    log,
  });
  await app.listen({ host: '127.0.0.1', port });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  t.after(close);
  return { tunnel, port: (app.server.address() as AddressInfo).port, close };
}

export function database(name: string, overrides: Partial<DatabaseInfo> = {}): DatabaseInfo {
  return {
    name,
    labels: { env: 'test' },
    health: 'healthy',
    serverVersion: '11.4.2-MariaDB',
    capabilities: 0xfffff7ff,
    mariadbCapabilities: 0,
    ...overrides,
  };
}

export interface StartedEngine {
  readonly client: TunnelClient;
  readonly states: TunnelClientState[];
}

export async function startEngine(
  t: TestContext,
  pki: Pki,
  port: number,
  name: string,
  onStream: (incoming: IncomingStream) => void,
  overrides: Partial<TunnelClientOptions> = {},
): Promise<StartedEngine> {
  const creds = await pki.engine(name);
  const states: TunnelClientState[] = [];
  const client = createTunnelClient({
    url: `wss://127.0.0.1:${port}/v1/tunnel`,
    getCredentials: () => ({ cert: creds.cert, key: creds.key, ca: pki.ca.caPem }),
    engineId: name,
    version: '0.1.0-test',
    databases: [database('orders')],
    onStream,
    log,
    backoff: { initial: 50, max: 400 },
    ...fastHeartbeat,
    onStateChange: (state) => states.push(state),
    ...overrides,
  });
  client.start();
  t.after(() => client.close());
  return { client, states };
}

/** Accepts every stream and echoes its bytes back. */
export function echo(incoming: IncomingStream): void {
  const stream = incoming.accept();
  // A reset from the proxy (a client that went away) is a normal end for an echo session.
  stream.on('error', () => {});
  stream.pipe(stream);
}

/**
 * An engine handler that echoes, except for sessions to db name 'flood': those get `bytes` random
 * bytes written as fast as the stream's credit allows, then an end. `onFlood` sees the stream.
 */
export function floodOrEcho(
  bytes: number,
  onFlood: (stream: TunnelStream) => void,
): (incoming: IncomingStream) => void {
  return (incoming) => {
    if (incoming.header.route.dbName !== 'flood') return echo(incoming);
    const stream = incoming.accept();
    onFlood(stream);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        sent += 64 * 1024;
        if (!stream.write(randomBytes(64 * 1024))) return void stream.once('drain', pump);
      }
      stream.end();
    };
    pump();
  };
}

let sessionCounter = 0;

export function header(dbService = 'orders', dbName = 'shop'): StreamOpenHeader {
  sessionCounter++;
  return {
    sessionId: `s-${sessionCounter}`,
    clientAddress: { host: '192.0.2.10', port: 40000 + (sessionCounter % 20000) },
    route: { dbService, dbUser: 'app_ro', dbName },
    capabilities: 0x000fa685,
    mariadbCapabilities: 0,
    connectionAttributes: { program_name: 'tunnel-test' },
    clientCertChain: [Buffer.from([0x30, 0x00])],
  };
}

/** Sends `payload` on the stream, ends it, and returns every byte the peer sent back. */
export async function roundTrip(stream: TunnelStream, payload: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.end(payload);
  await done;
  return Buffer.concat(chunks);
}

export const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A proxy and an engine in one process, joined by the in-memory link; resolves once it registered. */
export async function startInProcess(
  t: TestContext,
  onStream: (incoming: IncomingStream) => void,
  streamWindow?: number,
): Promise<{ tunnel: TunnelServer; client: TunnelClient; states: TunnelClientState[] }> {
  const pki = await createPki(t);
  const windowOption = streamWindow === undefined ? {} : { streamWindow };
  const tunnel = new TunnelServer({ hostCaPems: [pki.ca.caPem], log, ...fastHeartbeat, ...windowOption });
  t.after(() => tunnel.close());
  const states: TunnelClientState[] = [];
  const client = createTunnelClient({
    url: 'wss://unused.invalid/v1/tunnel',
    getCredentials: () => Promise.reject(new Error('an in-process engine dials no socket')),
    connectInProcess: () => tunnel.connectInProcess('engine-local'),
    engineId: 'engine-local',
    version: '0.1.0-test',
    databases: [database('orders')],
    onStream,
    log,
    backoff: { initial: 20, max: 100 },
    ...fastHeartbeat,
    ...windowOption,
    onStateChange: (state) => states.push(state),
  });
  client.start();
  t.after(() => client.close());
  await waitFor('the in-process engine to register', () => tunnel.registry.size === 1);
  return { tunnel, client, states };
}
