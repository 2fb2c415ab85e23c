// The compressed stream over a real loopback socket. As a server (the proxy's client leg): the
// plain side sees plain bytes, the client compressed frames numbered as a server numbers them,
// backpressure holds the socket, and a frame that does not inflate gets a compressed ERR before
// the close. As a client (the engine's database leg): each command starts at compressed id 0.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCompressedStream } from '../../src/connection/compressed-stream.js';
import { Capability } from '../../src/wire/capabilities.js';
import { CompressedPacketReader } from '../../src/wire/compressed-packet-reader.js';
import { CompressedPacketWriter } from '../../src/wire/compressed-packet-writer.js';
import { parseErrPacket } from '../../src/wire/err-packet.js';
import { PacketParser } from '../../src/wire/packet-parser.js';
import { serializePacket } from '../../src/wire/packet-writer.js';

const CAPS = (Capability.Protocol41 | Capability.Compress) >>> 0;

/** Polls `condition` until it holds (this package stands alone, without the test kit's waitFor). */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

function compressClientLeg(socket: Socket, leftover: Buffer, capabilities: number) {
  const { stream, leftover: plain } = createCompressedStream(socket, leftover, { role: 'server', capabilities });
  return { client: stream, leftover: plain };
}

/** A connected pair: `client` is the MySQL client's end, `server` the proxy's (paused, as after login). */
async function socketPair(t: { after: (fn: () => void) => void }): Promise<{ client: Socket; server: Socket }> {
  // Half-open allowed, as the proxy's client sockets are: each direction ends on its own.
  const listener = createServer({ pauseOnConnect: true, allowHalfOpen: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const [server] = (await once(listener, 'connection')) as [Socket];
  await once(client, 'connect');
  listener.close();
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

/** Collects the compressed frames the client end receives, inflated, with their sequence ids. */
function frameCollector(client: Socket): { plain: () => Buffer; ids: number[] } {
  const reader = new CompressedPacketReader();
  const parts: Buffer[] = [];
  const ids: number[] = [];
  client.on('data', (chunk: Buffer) =>
    reader.push(chunk, (plain, seq) => {
      parts.push(plain);
      ids.push(seq);
    }),
  );
  return { plain: () => Buffer.concat(parts), ids };
}

const QUERY = serializePacket(Buffer.from(`\x03SELECT '${'q'.repeat(100)}'`), 0);

test('plain bytes to the relay, compressed frames to the client, numbered one past the last frame read', async (t) => {
  const { client, server } = await socketPair(t);
  const writer = new CompressedPacketWriter();
  const early = Buffer.concat(writer.write(QUERY, []));
  const leg = compressClientLeg(server, early, CAPS);
  assert.ok(leg.leftover.equals(QUERY), 'what the client sent before the relay began is inflated too');

  const fromClient: Buffer[] = [];
  leg.client.on('data', (chunk: Buffer) => fromClient.push(chunk));
  const seen = frameCollector(client);
  const reply = Buffer.concat([serializePacket(Buffer.from([1]), 1), serializePacket(Buffer.alloc(200, 0x61), 2)]);
  leg.client.write(reply);
  await waitFor('the reply frames', () => seen.plain().length === reply.length);
  assert.ok(seen.plain().equals(reply));
  assert.deepEqual(seen.ids, [1], 'the reply to a command sent at 0 starts at 1');

  // The next command restarts the compressed sequence at 0; the answer follows it at 1 again.
  writer.sequenceId = 0;
  const second = serializePacket(Buffer.from('\x03SELECT 2'), 0);
  for (const b of writer.write(second, [])) client.write(b);
  await waitFor('the second command', () => Buffer.concat(fromClient).equals(second));
  leg.client.write(Buffer.alloc(100_000, 0x62));
  await waitFor('the big reply', () => seen.plain().length === reply.length + 100_000);
  assert.deepEqual(seen.ids, [1, 1, 2], 'a 100 KB reply is two frames of at most 64 KiB');
  const packets: number[] = [];
  new PacketParser().push(seen.plain().subarray(0, reply.length), (_p, seq) => packets.push(seq));
  assert.deepEqual(packets, [1, 2], 'the packets inside keep their own ids');
});

test('the client end closing ends the plain side, and ending the plain side ends the socket', async (t) => {
  const { client, server } = await socketPair(t);
  const leg = compressClientLeg(server, Buffer.alloc(0), CAPS);
  leg.client.resume();
  const ended = once(leg.client, 'end');
  const legClosed = once(leg.client, 'close');
  client.end();
  await ended;
  const clientEnded = once(client, 'end');
  client.resume();
  leg.client.end();
  await clientEnded;
  await legClosed;
});

test('a full relay side stops reading the socket until it is read again', async (t) => {
  const { client, server } = await socketPair(t);
  const leg = compressClientLeg(server, Buffer.alloc(0), CAPS);
  const writer = new CompressedPacketWriter();
  // Nobody reads the plain side: after its buffer fills, the socket is paused.
  const noise = Buffer.alloc(64 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) & 0xff;
  for (let i = 0; i < 16; i++) for (const b of writer.write(noise, [])) client.write(b);
  leg.client.read(0);
  await waitFor('the socket to be paused', () => server.isPaused() && leg.client.readableLength > 0);
  let got = 0;
  leg.client.on('data', (c: Buffer) => {
    got += c.length;
  });
  leg.client.resume();
  await waitFor('every byte to arrive once read again', () => got === 16 * noise.length);
});

test('a frame that does not inflate gets ERR 1157, compressed, and the session ends with the protocol error', async (t) => {
  const { client, server } = await socketPair(t);
  const leg = compressClientLeg(server, Buffer.alloc(0), CAPS);
  const failed = once(leg.client, 'error');
  leg.client.resume();
  const seen = frameCollector(client);
  const ended = once(client, 'end');
  client.write(Buffer.concat([Buffer.from([5, 0, 0, 0, 50, 0, 0]), Buffer.from('nope!')]));
  const [err] = (await failed) as [Error & { code?: string }];
  assert.equal(err.code, 'GH_ERR_MYSQL_PROTOCOL');
  await ended;
  let errPayload: Buffer | undefined;
  new PacketParser().push(seen.plain(), (payload) => {
    errPayload = Buffer.from(payload);
  });
  assert.ok(errPayload, 'an ERR packet arrived before the close');
  const parsed = parseErrPacket(errPayload, CAPS);
  assert.equal(parsed.kind, 'err');
  assert.equal(parsed.kind === 'err' && parsed.errno, 1157);
  assert.match(parsed.kind === 'err' ? parsed.message : '', /inflate/);
});

test('as a client, each command starts at compressed id 0 and a continuation follows the last frame read', async (t) => {
  const { client: serverEnd, server: clientEnd } = await socketPair(t);
  // Here the loopback's "server" socket plays the engine's database socket.
  const { stream } = createCompressedStream(clientEnd, Buffer.alloc(0), { role: 'client', capabilities: CAPS });
  let plainRead = 0;
  stream.on('data', (c: Buffer) => {
    plainRead += c.length;
  });
  const seen = frameCollector(serverEnd);
  const first = serializePacket(Buffer.from('\x03SELECT 1'), 0);
  stream.write(first);
  await waitFor('the first command', () => seen.ids.length === 1);
  // The server answers at 1 and 2; a LOCAL INFILE reply (packet id 2 inside) continues at 3.
  const serverWriter = new CompressedPacketWriter();
  serverWriter.sequenceId = 1;
  for (const b of serverWriter.write(serializePacket(Buffer.from([0xfb, 0x66]), 1), [])) serverEnd.write(b);
  for (const b of serverWriter.write(serializePacket(Buffer.from([0xfe]), 2), [])) serverEnd.write(b);
  await waitFor('the replies to be read', () => plainRead === 6 + 5);
  stream.write(serializePacket(Buffer.from('file data'), 3));
  stream.write(serializePacket(Buffer.alloc(0), 4));
  await waitFor('the file packets', () => seen.ids.length === 3);
  // A new command (a packet with id 0 at a packet boundary) starts again at 0, even mid-frame ids.
  stream.write(serializePacket(Buffer.from('\x0e'), 0));
  await waitFor('the second command', () => seen.ids.length === 4);
  assert.deepEqual(seen.ids, [0, 3, 4, 0]);
});
