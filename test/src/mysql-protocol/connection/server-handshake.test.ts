import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import {
  Capability,
  createScramble,
  HandshakeChannel,
  type HandshakeResponse41,
  parseHandshakeV10,
  ServerHandshake,
  serializeHandshakeResponse41,
  serializePacket,
  serializeSslRequest,
} from '@gatehouse/mysql-protocol';
import { createTestCa, encodeFakeResponse, findExecutable } from '@gatehouse/testing';
import mysql from 'mysql2/promise';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-srv-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const ca = await createTestCa(dir);
const serverFiles = await ca.issue({
  name: 'proxy',
  subject: '/CN=localhost',
  sans: ['DNS:localhost', 'IP:127.0.0.1'],
  usage: 'server',
});
const clientFiles = await ca.issue({ name: 'alice', subject: '/CN=alice', usage: 'client' });
const tlsOptions = {
  key: readFileSync(serverFiles.keyFile),
  cert: readFileSync(serverFiles.certFile),
  ca: ca.caPem,
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.2',
} as const;
const CAPS =
  Capability.LongPassword |
  Capability.Protocol41 |
  Capability.SecureConnection |
  Capability.PluginAuth |
  Capability.PluginAuthLenencClientData |
  Capability.ConnectAttrs |
  Capability.ConnectWithDb |
  Capability.Ssl |
  Capability.Transactions |
  Capability.MultiResults |
  Capability.DeprecateEof;

interface Seen {
  responses: HandshakeResponse41[];
  peerCerts: string[];
  refused: number;
  leftoverAtUpgrade: number[];
}

/** A proxy-like front door built only from the server-side steps. */
async function startFrontDoor(t: { after(fn: () => Promise<void>): void }): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { responses: [], peerCerts: [], refused: 0, leftoverAtUpgrade: [] };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    void (async () => {
      const hs = new ServerHandshake(socket, { readTimeoutMs: 10_000 });
      const detach = hs.channel.detach.bind(hs.channel);
      hs.channel.detach = () => {
        const rest = detach();
        seen.leftoverAtUpgrade.push(rest.length);
        return rest;
      };
      hs.sendGreeting({ serverVersion: '10.11.99-MariaDB-gatehouse', connectionId: 7, capabilities: CAPS });
      const hello = await hs.readClientHello();
      if (hello.kind !== 'ssl-request') {
        seen.refused++;
        hs.sendErr({ errno: 3159, sqlState: 'HY000', message: 'Connections using insecure transport are prohibited' });
        socket.end();
        return;
      }
      const secure = await hs.upgradeToTls(tlsOptions);
      seen.peerCerts.push(String(secure.getPeerCertificate().subject?.CN));
      const response = await hs.readHandshakeResponse();
      seen.responses.push(response);
      await hs.settlePasswordlessAuth(response);
      hs.acceptLogin();
      const { socket: live, leftover } = hs.detach();
      const answer = (): void => {
        live.write(
          encodeFakeResponse(
            { kind: 'rows', columns: ['who'], rows: [[response.username]] },
            response.capabilities,
            (response.capabilities & Capability.DeprecateEof) !== 0,
          ),
        );
      };
      // Enough of a command phase for the clients to run one query and quit.
      const onData = (chunk: Buffer): void => {
        if (chunk.length > 4 && chunk[4] === 0x03) answer();
        if (chunk.length > 4 && chunk[4] === 0x01) live.end();
      };
      if (leftover.length > 0) onData(leftover);
      live.on('data', onData);
      live.resume();
    })().catch(() => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

test('createScramble gives 20 bytes with no NUL and differs each time', () => {
  const a = createScramble();
  assert.equal(a.length, 20);
  assert.ok(!a.includes(0));
  assert.notDeepEqual(a, createScramble());
});

test('the mariadb CLI completes the TLS + client-cert handshake and runs a query', async (t) => {
  const { port, seen } = await startFrontDoor(t);
  const client = findExecutable(['mariadb', 'mysql']);
  assert.ok(client, 'the mariadb client must be installed');
  const { stdout } = await run(client, [
    '--no-defaults',
    '-h',
    '127.0.0.1',
    '-P',
    String(port),
    '-u',
    'alice',
    '-D',
    'appdb',
    '--batch',
    '--skip-column-names',
    `--ssl-ca=${ca.caFile}`,
    `--ssl-cert=${clientFiles.certFile}`,
    `--ssl-key=${clientFiles.keyFile}`,
    '-e',
    'SELECT 1',
  ]);
  assert.equal(stdout.trim(), 'alice');
  assert.deepEqual(seen.peerCerts, ['alice']);
  assert.equal(seen.responses[0]?.database, 'appdb');
  assert.ok(seen.responses[0]!.attributes.size > 0, 'the CLI sends connection attributes');
});

test('mysql2 completes the TLS + client-cert handshake (caching_sha2 fast-auth path) and runs a query', async (t) => {
  const { port, seen } = await startFrontDoor(t);
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: 'bob',
    password: 'ignored',
    ssl: { ca: ca.caPem, cert: readFileSync(clientFiles.certFile), key: readFileSync(clientFiles.keyFile) },
  });
  t.after(() => conn.destroy());
  const [rows] = await conn.query({ sql: 'SELECT 1', rowsAsArray: true });
  assert.deepEqual(rows, [['bob']]);
  assert.equal(seen.responses[0]?.username, 'bob');
});

test('a client without TLS gets ERR 3159 and the connection is closed', async (t) => {
  const { port, seen } = await startFrontDoor(t);
  await assert.rejects(
    mysql.createConnection({ host: '127.0.0.1', port, user: 'carol' }),
    (err: { errno?: number; message: string }) => {
      assert.equal(err.errno, 3159);
      assert.match(err.message, /insecure transport/);
      return true;
    },
  );
  assert.equal(seen.refused, 1);
});

test('a ClientHello in the same chunk as the SSLRequest is not lost', async (t) => {
  const { port, seen } = await startFrontDoor(t);
  const raw = connect(port, '127.0.0.1');
  t.after(async () => raw.destroy());
  await once(raw, 'connect');
  const channel = new HandshakeChannel(raw, 'front door');
  const greeting = parseHandshakeV10((await channel.readPacket()).payload);
  channel.detach();
  const caps = CAPS & greeting.capabilities;
  const sslRequest = serializePacket(
    serializeSslRequest({ capabilities: caps, maxPacketSize: 1 << 24, characterSet: 45 }),
    1,
  );
  // The TLS layer's first write (the ClientHello) goes out in one write with the SSLRequest.
  let first = true;
  const bridge = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      raw.write(first ? Buffer.concat([sslRequest, chunk]) : chunk, cb);
      first = false;
    },
  });
  raw.on('data', (d: Buffer) => bridge.push(d));
  raw.resume();
  const secure = tlsConnect({
    socket: bridge,
    ca: ca.caPem,
    servername: 'localhost',
    cert: readFileSync(clientFiles.certFile),
    key: readFileSync(clientFiles.keyFile),
  });
  await once(secure, 'secureConnect');
  const response = serializeHandshakeResponse41({
    capabilities: caps,
    maxPacketSize: 1 << 24,
    characterSet: 45,
    username: 'dave',
    authResponse: Buffer.alloc(32, 1),
    authPluginName: 'caching_sha2_password',
  });
  const replies = new HandshakeChannel(secure, 'front door over TLS');
  secure.write(serializePacket(response, 2));
  const more = await replies.readPacket();
  assert.deepEqual([...more.payload], [0x01, 0x03]);
  assert.equal(more.sequenceId, 3);
  const ok = await replies.readPacket();
  assert.equal(ok.payload[0], 0x00);
  assert.equal(ok.sequenceId, 4);
  assert.ok(seen.leftoverAtUpgrade[0]! > 0, 'the server received ClientHello bytes with the SSLRequest');
  assert.equal(seen.responses[0]?.username, 'dave');
  replies.detach();
  secure.destroy();
});
