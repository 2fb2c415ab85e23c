// The floor under memory per idle session: what Node and OpenSSL cost per session before any
// Gatehouse code, in a bare process holding the two TLS legs a one-process gateway holds.
// - the client leg: a TLS server socket upgraded from an accepted TCP socket with one shared
//   SecureContext, client certificate requested (as the proxy's MySQL port does);
// - the database leg: a TLS client socket to MariaDB, logged in as a REQUIRE SUBJECT user with a
//   client certificate from one shared SecureContext (as the engine's upstream does).
// Each kind is counted in its own process: RSS, V8 heap and external memory after a full GC,
// from 1 to N+1 idle connections. The peers (the TLS clients, MariaDB) are other processes.
// Figures for docs/performance.md ("Memory per idle session (issue 13)").
// Run: npm run bench:idle-floor -w bench  (connections: BENCH_CONNECTIONS, default 1000)
import { fork } from 'node:child_process';
import { constants as cryptoConstants } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createTestCa } from '@gatehouse/testing';
import { startBenchDb } from './bench-db.js';
import { readRssKiB } from './proc-stats.js';
import { SHORT_PROFILE } from './profile.js';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 1000);
/**
 * What each kind holds. The variants of the client leg change one TLS setting each, to see
 * whether Node's TLS could hold less per idle socket; db-leg-tls-resumed offers every
 * connection the session of the first (as the engine does, databases[].tls.resumption).
 */
const KINDS = [
  'client-leg-tls',
  'client-leg-tls-no-client-cert',
  'client-leg-tls-1.2',
  'client-leg-tls-no-tickets',
  'client-leg-tcp',
  'db-leg-tls',
  'db-leg-tls-resumed',
] as const;
type Kind = (typeof KINDS)[number];

interface Setup {
  readonly dir: string;
  readonly db: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
  };
}

interface Sample {
  readonly rssKiB: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

function sample(): Sample {
  globalThis.gc?.();
  globalThis.gc?.();
  const u = process.memoryUsage();
  return {
    rssKiB: readRssKiB(process.pid) ?? 0,
    heapUsed: u.heapUsed,
    external: u.external,
    arrayBuffers: u.arrayBuffers,
  };
}

// --- the database leg: greeting, SSLRequest, TLS, HandshakeResponse41, OK ---------------------
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
const CAPABILITIES =
  0x1 | // CLIENT_LONG_PASSWORD
  0x4 | // CLIENT_LONG_FLAG
  0x200 | // CLIENT_PROTOCOL_41
  0x800 | // CLIENT_SSL
  0x2000 | // CLIENT_TRANSACTIONS
  0x8000 | // CLIENT_SECURE_CONNECTION
  0x80000; // CLIENT_PLUGIN_AUTH

function packet(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
}

function fixedPart(): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(CAPABILITIES, 0);
  b.writeUInt32LE(16 * 1024 * 1024, 4);
  b[8] = 45; // utf8mb4_general_ci
  return b;
}

/** The first whole packet's payload from `socket`. */
function readPacket(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 4 || got.length < 4 + got.readUIntLE(0, 3)) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(got.subarray(4, 4 + got.readUIntLE(0, 3)));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function openDbLeg(setup: Setup, context: SecureContext, session?: Buffer): Promise<TLSSocket> {
  const plain = netConnect(setup.db.port, setup.db.host);
  await readPacket(plain);
  plain.pause();
  plain.write(packet(1, fixedPart()));
  const secure = tlsConnect({
    socket: plain,
    secureContext: context,
    checkServerIdentity: () => undefined,
    ...(session !== undefined ? { session } : {}),
  });
  await once(secure, 'secureConnect');
  const response = Buffer.concat([
    fixedPart(),
    Buffer.from(`${setup.db.user}\0`),
    Buffer.from([0]),
    Buffer.from('mysql_native_password\0'),
  ]);
  secure.write(packet(2, response));
  const reply = await readPacket(secure);
  if (reply[0] !== 0x00) throw new Error(`MariaDB refused the login: ${reply.subarray(3).toString()}`);
  // Idle from here on, reading (as a relay does) so the server's bytes are not left buffered.
  secure.on('data', () => {});
  return secure;
}

// --- the client leg: a TLS server socket, its peer in another process ---------------------------
async function serveClientLeg(setup: Setup, kind: Kind, count: number): Promise<Socket[]> {
  const tls = kind !== 'client-leg-tcp';
  const context = createSecureContext({
    cert: await readFile(join(setup.dir, 'proxy.pem')),
    key: await readFile(join(setup.dir, 'proxy.key')),
    ca: await readFile(join(setup.dir, 'ca.pem')),
    sessionIdContext: 'idle-floor',
    ...(kind === 'client-leg-tls-1.2' ? { maxVersion: 'TLSv1.2' as const } : {}),
    ...(kind === 'client-leg-tls-no-tickets' ? { secureOptions: cryptoConstants.SSL_OP_NO_TICKET } : {}),
  });
  const requestCert = kind !== 'client-leg-tls-no-client-cert';
  const held: Socket[] = [];
  let ready = 0;
  let onReady: (() => void) | undefined;
  const server = createServer({ noDelay: true }, (socket) => {
    const done = (s: Socket): void => {
      held.push(s);
      s.on('data', () => {});
      // A byte for the client to wait on: the handshake is over at both ends.
      s.write('!');
      ready++;
      if (ready === count) onReady?.();
    };
    if (!tls) return done(socket);
    const secure = new TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      requestCert,
      rejectUnauthorized: false,
    });
    secure.once('secure', () => done(secure));
    secure.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const all = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const peers = fork(fileURLToPath(import.meta.url), [
    'peers',
    tls ? 'tls' : 'tcp',
    setup.dir,
    String(port),
    String(count),
  ]);
  await all;
  peersProcess = peers;
  return held;
}
let peersProcess: ReturnType<typeof fork> | undefined;

async function runPeers(kind: string, dir: string, port: number, count: number): Promise<void> {
  const context = createSecureContext({
    cert: await readFile(join(dir, 'client.pem')),
    key: await readFile(join(dir, 'client.key')),
    ca: await readFile(join(dir, 'ca.pem')),
  });
  const held: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket =
      kind === 'tls'
        ? tlsConnect({ port, host: '127.0.0.1', secureContext: context, checkServerIdentity: () => undefined })
        : netConnect(port, '127.0.0.1');
    await once(socket, 'data');
    held.push(socket);
  }
  // Held until the measuring process kills this one.
  setInterval(() => {}, 1 << 30);
}

async function measure(kind: Kind, setup: Setup): Promise<{ first: Sample; after: Sample }> {
  if (kind === 'db-leg-tls' || kind === 'db-leg-tls-resumed') {
    const context = createSecureContext({
      ca: await readFile(setup.db.caFile),
      cert: await readFile(setup.db.certFile),
      key: await readFile(setup.db.keyFile),
    });
    const held = [await openDbLeg(setup, context)];
    // TLS 1.3 tickets come after the handshake; the login's round trip has brought them.
    const session = kind === 'db-leg-tls-resumed' ? held[0]?.getSession() : undefined;
    const first = sample();
    for (let i = 0; i < connections; i++) held.push(await openDbLeg(setup, context, session));
    if (session !== undefined && held.at(-1)?.isSessionReused() !== true)
      throw new Error('MariaDB did not resume the session');
    const after = sample();
    for (const s of held) s.destroy();
    return { first, after };
  }
  // One connection first (code, the context, the server), then N more in a second round.
  const warm = await serveClientLeg(setup, kind, 1);
  const warmPeers = peersProcess;
  const first = sample();
  const held = await serveClientLeg(setup, kind, connections);
  const after = sample();
  warmPeers?.kill();
  peersProcess?.kill();
  for (const s of [...warm, ...held]) s.destroy();
  return { first, after };
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'peers') {
  await runPeers(rest[0] as string, rest[1] as string, Number(rest[2]), Number(rest[3]));
} else if (role === 'measure') {
  const setup = JSON.parse(rest[1] as string) as Setup;
  const { first, after } = await measure(rest[0] as Kind, setup);
  process.send?.({ first, after });
  process.exit(0);
} else {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-floor-'));
  const db = await startBenchDb([], SHORT_PROFILE);
  try {
    const ca = await createTestCa(dir, 'Floor CA');
    await ca.issue({ name: 'proxy', subject: '/CN=127.0.0.1', sans: ['IP:127.0.0.1'], usage: 'server' });
    await ca.issue({ name: 'client', subject: '/CN=alice', usage: 'client' });
    const setup: Setup = {
      dir,
      db: { host: db.info.host, port: db.info.port, user: db.info.dbUser, ...db.directTls },
    };
    console.log(
      `idle floor: ${connections} idle connections per kind, node ${process.version}, ${process.versions.openssl}\n`,
    );
    console.log(
      '| per idle connection (KiB) | RSS | V8 heap used | external (all) | of which ArrayBuffers | RSS − heap − external |',
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const kind of KINDS) {
      const child = fork(fileURLToPath(import.meta.url), ['measure', kind, JSON.stringify(setup)], {
        execArgv: ['--expose-gc'],
      });
      const [message] = (await once(child, 'message')) as [{ first: Sample; after: Sample }];
      const { first, after } = message;
      const per = (x: number): string => (x / connections).toFixed(1);
      const rss = (after.rssKiB - first.rssKiB) * 1024;
      const heap = after.heapUsed - first.heapUsed;
      const external = after.external - first.external;
      console.log(
        `| ${kind} | ${per(rss / 1024)} | ${per(heap / 1024)} | ${per(external / 1024)} | ${per((after.arrayBuffers - first.arrayBuffers) / 1024)} | ${per((rss - heap - external) / 1024)} |`,
      );
    }
  } finally {
    await db.db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
