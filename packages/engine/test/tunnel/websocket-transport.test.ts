import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type Duplex, Writable } from 'node:stream';
import { test } from 'node:test';
import { createSeededRandom, waitFor } from '@gatehouse/testing';
import { createWebSocketTransport, type TunnelTransport, WEBSOCKET_HEADROOM } from '@gatehouse/tunnel';
import { WebSocket, WebSocketServer } from 'ws';

interface Pair {
  readonly client: WebSocket;
  readonly server: WebSocket;
  readonly clientTransport: TunnelTransport;
  readonly serverTransport: TunnelTransport;
}

/** A real ws client and server on loopback, each with the whole-frame transport over its socket. */
async function openPair(t: { after: (fn: () => void | Promise<void>) => void }): Promise<Pair> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    maxPayload: 8 * 1024 * 1024,
  });
  await once(wss, 'listening');
  const serverSide = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) => {
    wss.once('connection', (ws, request) => resolve({ ws, socket: request.socket }));
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: false });
  // The server's close waits for its connections, so they go first.
  t.after(async () => {
    client.terminate();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  let clientSocket: Duplex | undefined;
  client.on('upgrade', (response) => {
    clientSocket = response.socket;
  });
  await once(client, 'open');
  const server = await serverSide;
  assert.ok(clientSocket !== undefined);
  return {
    client,
    server: server.ws,
    clientTransport: createWebSocketTransport({ ws: client, socket: clientSocket, masked: true }),
    serverTransport: createWebSocketTransport({ ws: server.ws, socket: server.socket, masked: false }),
  };
}

function send(transport: TunnelTransport, payload: Buffer): Promise<void> {
  const buffer = Buffer.alloc(WEBSOCKET_HEADROOM + payload.length, 0xee);
  payload.copy(buffer, WEBSOCKET_HEADROOM);
  return new Promise((resolve, reject) => transport.send(buffer, (err) => (err ? reject(err) : resolve())));
}

function collect(ws: WebSocket, count: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, true);
      got.push(data as Buffer);
      if (got.length === count) resolve(got);
    });
  });
}

test('ws reads the frames the transport writes, masked from the client and plain from the server, at every length class', async (t) => {
  const pair = await openPair(t);
  const random = createSeededRandom(0x7e57).next;
  // The header's length field changes form at 126 and 65,536 bytes (RFC 6455 §5.2).
  const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 65_537, 300_000];
  for (let i = 0; i < 40; i++) lengths.push(Math.floor(random() * 70_000));
  const payloads = lengths.map((n) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256))));

  for (const [from, to] of [
    [pair.clientTransport, pair.server],
    [pair.serverTransport, pair.client],
  ] as const) {
    const received = collect(to, payloads.length);
    for (const payload of payloads) await send(from, payload);
    const got = await received;
    assert.equal(got.length, payloads.length);
    for (let i = 0; i < payloads.length; i++)
      assert.ok(got[i]!.equals(payloads[i]!), `message ${i} (${lengths[i]} bytes) intact`);
  }
});

test('after ws starts closing the transport writes nothing and reports the tunnel closed', async (t) => {
  const pair = await openPair(t);
  const serverClosed = once(pair.server, 'close');
  let received = 0;
  pair.server.on('message', () => received++);
  pair.clientTransport.close();
  await assert.rejects(send(pair.clientTransport, Buffer.from('late')), { code: 'GH_ERR_TUNNEL_CLOSED' });
  const [code] = await serverClosed;
  assert.equal(code, 1000, 'the closing handshake completed cleanly, with no data frame after the close frame');
  assert.equal(received, 0);
});

test('messages sent while a socket write is pending wait in the transport and then go one per write, in order', async () => {
  // A socket that holds every write until the test finishes it, and says when it got one. A
  // writev would mean messages were joined into one TLS write, their records cut at 16 KiB.
  const written = new EventEmitter();
  const writes: Buffer[] = [];
  const held: (() => void)[] = [];
  let joined = 0;
  const socket = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk);
      held.push(() => callback());
      written.emit('write');
    },
    writev(chunks, callback) {
      joined++;
      for (const { chunk } of chunks) writes.push(chunk as Buffer);
      held.push(() => callback());
      written.emit('write');
    },
  });
  const ws = { readyState: WebSocket.OPEN, close: () => {}, terminate: () => {} };
  const transport = createWebSocketTransport({ ws, socket, masked: false });
  assert.equal(transport.maxMessageBytes, 16 * 1024 - 4, 'a message and its header fill one TLS record');
  const payloads = [0, 1, 2, 3].map((i) => Buffer.alloc(1000 + i, i));
  const done: number[] = [];
  for (const [i, payload] of payloads.entries()) {
    const buffer = Buffer.alloc(WEBSOCKET_HEADROOM + payload.length);
    payload.copy(buffer, WEBSOCKET_HEADROOM);
    transport.send(buffer, () => done.push(i));
  }
  assert.equal(writes.length, 1, 'the socket has one message; the others wait in the transport');
  for (let i = 1; i < payloads.length; i++) {
    const next = once(written, 'write');
    held.shift()!();
    await next;
    assert.equal(writes.length, i + 1);
  }
  held.shift()!();
  await waitFor('every message reported written', () => done.length === payloads.length);
  assert.equal(joined, 0);
  assert.deepEqual(done, [0, 1, 2, 3]);
  // Each write is one whole frame: a 4-byte header (126 + 16-bit length), then the payload.
  for (const [i, write] of writes.entries()) {
    assert.equal(write.readUInt16BE(2), payloads[i]!.length);
    assert.ok(write.subarray(4).equals(payloads[i]!));
  }
});
