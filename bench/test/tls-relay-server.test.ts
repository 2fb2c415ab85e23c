import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { createTestCa, type IssuedFiles, startFakeMysqlServer, startMariaDb } from '@gatehouse/testing';
import { createConnection } from 'mysql2/promise';
import {
  createTlsRelayServer,
  readFirstPacket,
  serializeInsecureTransportErr,
} from '../src/targets/tls-relay-server.js';

const db = await startMariaDb();
const user = db.uniqueName('relay');
await db.sql(`CREATE USER '${user}'@'%' REQUIRE SUBJECT '/CN=${user}'`);
const clientCert = await db.issueClientCert(user);
const relayCert = await db.ca.issue({
  name: db.uniqueName('relay-server'),
  subject: '/CN=tls-relay-test',
  sans: ['IP:127.0.0.1'],
  usage: 'server',
});
const pem = (file: string): string => readFileSync(file, 'utf8');

async function startRelay(t: { after(fn: () => unknown): void }, upstreamPort = db.port): Promise<number> {
  const server: Server = createTlsRelayServer({
    upstreamHost: '127.0.0.1',
    upstreamPort,
    serverCert: pem(relayCert.certFile),
    serverKey: pem(relayCert.keyFile),
    clientCa: db.ca.caPem,
    upstreamCa: db.ca.caPem,
    upstreamCert: pem(clientCert.certFile),
    upstreamKey: pem(clientCert.keyFile),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Not awaited: close() waits for the relayed sessions, which the tests end after this hook.
  t.after(() => {
    server.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

function sslOptions(cert: IssuedFiles): { ca: string; cert: string; key: string } {
  return { ca: db.ca.caPem, cert: pem(cert.certFile), key: pem(cert.keyFile) };
}

/** An SSLRequest payload: CLIENT_PROTOCOL_41 | CLIENT_SSL, 16 MiB max packet, utf8mb4. */
function sslRequestPacket(sequenceId = 1, capabilities = 0x0200 | 0x0800): Buffer {
  const packet = Buffer.alloc(36);
  packet.writeUIntLE(32, 0, 3);
  packet[3] = sequenceId;
  packet.writeUInt32LE(capabilities, 4);
  packet.writeUInt32LE(16 * 1024 * 1024, 8);
  packet[12] = 45;
  return packet;
}

test('readFirstPacket waits for the whole SSLRequest, and keeps what follows it for the TLS layer', () => {
  const request = sslRequestPacket();
  assert.deepEqual(readFirstPacket(request.subarray(0, 3)), { kind: 'incomplete' });
  assert.deepEqual(readFirstPacket(request.subarray(0, 20)), { kind: 'incomplete' });
  const hello = Buffer.from([0x16, 0x03, 0x01]);
  const first = readFirstPacket(Buffer.concat([request, hello]));
  assert.equal(first.kind, 'ssl-request');
  assert.ok(first.kind === 'ssl-request');
  assert.deepEqual(first.packet, request);
  assert.deepEqual(first.rest, hello);
});

test('readFirstPacket refuses a HandshakeResponse41 from its header, and a 32-byte packet without CLIENT_SSL', () => {
  const response = Buffer.alloc(4);
  response.writeUIntLE(80, 0, 3);
  response[3] = 1;
  assert.deepEqual(readFirstPacket(response), { kind: 'not-ssl', sequenceId: 1 });
  assert.deepEqual(readFirstPacket(sslRequestPacket(1, 0x0200)), { kind: 'not-ssl', sequenceId: 1 });
});

test('the insecure-transport ERR is ERR 3159 with the sequence id after the client packet', () => {
  const packet = serializeInsecureTransportErr(1);
  assert.equal(packet.readUIntLE(0, 3), packet.length - 4);
  assert.equal(packet[3], 2);
  assert.equal(packet[4], 0xff);
  assert.equal(packet.readUInt16LE(5), 3159);
});

test('a mysql2 client logs in through the relay as the x509 user, with TLS ended at the relay and again to MariaDB', async (t) => {
  const port = await startRelay(t);
  const conn = await createConnection({ host: '127.0.0.1', port, user, ssl: sslOptions(clientCert) });
  t.after(() => conn.end());
  // The certificate the client saw is the relay's, so the relay terminated the client's TLS.
  const { stream } = (conn as unknown as { connection: { stream: TLSSocket } }).connection;
  assert.equal(stream.getPeerCertificate().subject.CN, 'tls-relay-test');
  // MariaDB let the user in only with TLS and the CN=<user> certificate, so the relay's own leg
  // is TLS with the client certificate.
  const [rows] = await conn.query('SELECT CURRENT_USER() AS u, 40 + 2 AS n');
  assert.deepEqual(rows, [{ u: `${user}@%`, n: 42 }]);
  const [status] = await conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
  assert.match((status as { Value: string }[])[0]!.Value, /^TLSv1\.[23]$/);
});

test('a client resumes its TLS session with the relay (as mysql2 pools and the connect-rate bench do)', async (t) => {
  const port = await startRelay(t);
  // mysql2 keeps the session of a connection per ssl object and offers it to the next one.
  const ssl = sslOptions(clientCert);
  const reused: boolean[] = [];
  for (let i = 0; i < 2; i++) {
    const conn = await createConnection({ host: '127.0.0.1', port, user, ssl });
    const [rows] = await conn.query('SELECT CURRENT_USER() AS u');
    assert.deepEqual(rows, [{ u: `${user}@%` }]);
    reused.push((conn as unknown as { connection: { stream: TLSSocket } }).connection.stream.isSessionReused());
    await conn.end();
  }
  assert.deepEqual(reused, [false, true]);
});

/**
 * A TCP connection to the relay that holds the client's first write (its SSLRequest) and sends
 * it together with the next one (the TLS ClientHello), as one segment; `firstWrite` is the
 * size of that segment.
 */
function coalescingStream(port: number): { stream: Duplex; firstWrite: () => number } {
  const raw = connect({ host: '127.0.0.1', port });
  let held: Buffer | undefined;
  let writes = 0;
  let firstWrite = 0;
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      writes++;
      if (writes === 1) {
        held = chunk;
        callback();
        return;
      }
      const out = held ? Buffer.concat([held, chunk]) : chunk;
      held = undefined;
      if (writes === 2) firstWrite = out.length;
      raw.write(out, callback);
    },
    read() {
      raw.resume();
    },
    final(callback) {
      raw.end(callback);
    },
    destroy(err, callback) {
      raw.destroy();
      callback(err);
    },
  });
  raw.on('data', (chunk) => {
    if (!stream.push(chunk)) raw.pause();
  });
  raw.on('end', () => stream.push(null));
  raw.on('error', (err) => stream.destroy(err));
  return { stream, firstWrite: () => firstWrite };
}

test('an SSLRequest and a ClientHello in one segment: the relay hands the TLS layer the bytes that came with it', async (t) => {
  const port = await startRelay(t);
  const { stream, firstWrite } = coalescingStream(port);
  const conn = await createConnection({ host: '127.0.0.1', port, user, ssl: sslOptions(clientCert), stream });
  t.after(() => conn.end());
  assert.ok(firstWrite() > 36, `the first segment held ${firstWrite()} bytes, not the SSLRequest and more`);
  const [rows] = await conn.query('SELECT CURRENT_USER() AS u');
  assert.deepEqual(rows, [{ u: `${user}@%` }]);
});

test('a client that does not ask for TLS gets ERR 3159 from the relay', async (t) => {
  const port = await startRelay(t);
  await assert.rejects(
    createConnection({ host: '127.0.0.1', port, user }),
    (err: { errno?: number; message: string }) => {
      assert.equal(err.errno, 3159);
      assert.match(err.message, /needs TLS/);
      return true;
    },
  );
});

test('a client certificate from another CA is refused, though the relay would log in with its own', async (t) => {
  const port = await startRelay(t);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-relay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const other = await createTestCa(dir, 'Some Other CA');
  const stranger = await other.issue({ name: 'stranger', subject: `/CN=${user}`, usage: 'client' });
  await assert.rejects(
    createConnection({ host: '127.0.0.1', port, user, ssl: sslOptions(stranger), connectTimeout: 10_000 }),
    (err: { code?: string; message: string }) => {
      assert.notEqual(err.code, 'ETIMEDOUT', err.message);
      return true;
    },
  );
});

test('a server that refuses the client before its greeting: its ERR reaches the client through the relay', async (t) => {
  // A fake server: MariaDB sends this ERR only after many failed connects from one host.
  const fake = await startFakeMysqlServer({
    errFirst: { errno: 1129, message: "Host '127.0.0.1' is blocked because of many connection errors" },
  });
  t.after(() => fake.close());
  const port = await startRelay(t, fake.port);
  await assert.rejects(
    createConnection({ host: '127.0.0.1', port, user, ssl: sslOptions(clientCert) }),
    (err: { errno?: number; message: string }) => {
      assert.equal(err.errno, 1129, err.message);
      assert.match(err.message, /is blocked/);
      return true;
    },
  );
});
