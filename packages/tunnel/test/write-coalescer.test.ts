import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket, connect } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { TLS_RECORD_BYTES, WriteCoalescer } from '../src/index.js';
import { createPrng } from './prng.js';

/** A target that records every write it is handed, and finishes each at once. */
function recordingTarget(highWaterMark = 1024 * 1024): { target: Writable; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const target = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk);
      callback();
    },
  });
  return { target, writes };
}

function coalescerFor(target: Writable): WriteCoalescer {
  return new WriteCoalescer({ target, pause: () => {}, resume: () => {} });
}

function patterned(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i * 31) & 0xff;
  return bytes;
}

test('a chunk of a record or more is written as it is, after the small ones queued before it', async () => {
  const { target, writes } = recordingTarget();
  const out = coalescerFor(target);
  const small = patterned(100, 1);
  const large = patterned(70_000, 2);
  out.write(small);
  out.write(large);
  assert.equal(writes.length, 2, 'the queued chunk and the large one, no waiting for the turn to end');
  assert.deepEqual(writes[0], small);
  // The very buffer: a large chunk is neither split nor copied.
  assert.equal(writes[1], large);
  assert.equal(out.queuedBytes, 0);
});

test('many small chunks of one turn leave as writes of about one TLS record, never more', async () => {
  const { target, writes } = recordingTarget();
  const out = coalescerFor(target);
  const chunks = Array.from({ length: 100 }, (_, i) => patterned(1000, i));
  for (const chunk of chunks) out.write(chunk);
  // Sixteen chunks fit a record: each time a seventeenth would not, the sixteen go at once.
  assert.equal(writes.length, 6);
  for (const write of writes) {
    assert.ok(write.length > TLS_RECORD_BYTES - 1000 && write.length <= TLS_RECORD_BYTES, `${write.length} bytes`);
  }
  assert.ok(out.queuedBytes > 0);
  await new Promise<void>((resolve) => process.nextTick(resolve));
  assert.equal(out.queuedBytes, 0);
  assert.deepEqual(Buffer.concat(writes), Buffer.concat(chunks));
  assert.equal(writes.length, Math.ceil(100 / 16));
  for (const write of writes) assert.ok(write.length <= TLS_RECORD_BYTES);
});

test('chunks of just under a record (a WebSocket tunnel DATA payload) are not joined into copies', () => {
  // Regression: payloads of 16,370 bytes were joined in pairs, a 32 KiB copy each, and after
  // 2,000 sessions the split proxy's garbage collector paid for it on every bulk read.
  const { target, writes } = recordingTarget();
  const out = coalescerFor(target);
  const payloads = Array.from({ length: 6 }, (_, i) => patterned(16_370, i));
  for (const payload of payloads) out.write(payload);
  assert.equal(writes.length, payloads.length);
  for (const [i, write] of writes.entries()) assert.equal(write, payloads[i], 'the very buffer, not a copy');
});

test('a lone small reply is written at the end of its turn, not held for more', async () => {
  const { target, writes } = recordingTarget();
  const out = coalescerFor(target);
  out.write(Buffer.from('ok'));
  assert.equal(writes.length, 0);
  await new Promise<void>((resolve) => process.nextTick(resolve));
  assert.deepEqual(writes, [Buffer.from('ok')]);
});

test('end() writes what waits before ending the target; discard() drops it', async () => {
  const ended = recordingTarget();
  const out = coalescerFor(ended.target);
  out.write(Buffer.from('last'));
  out.end();
  await once(ended.target, 'finish');
  assert.deepEqual(ended.writes, [Buffer.from('last')]);

  const dropped = recordingTarget();
  const gone = coalescerFor(dropped.target);
  gone.write(Buffer.from('never'));
  gone.discard();
  gone.write(Buffer.from('nor this'));
  await new Promise<void>((resolve) => process.nextTick(resolve));
  assert.deepEqual(dropped.writes, []);
});

test('a full target pauses the source once and its drain resumes it', async () => {
  // A target that holds each write until the test lets it go.
  const held: (() => void)[] = [];
  const target = new Writable({
    highWaterMark: 4 * TLS_RECORD_BYTES,
    write(_chunk, _encoding, callback) {
      held.push(callback);
    },
  });
  const source = new PassThrough();
  let pauses = 0;
  let resumes = 0;
  source.on('pause', () => pauses++);
  source.on('resume', () => resumes++);
  const out = new WriteCoalescer({ target, pause: () => source.pause(), resume: () => source.resume() });
  source.on('data', (chunk: Buffer) => out.write(chunk));
  await once(source, 'resume');
  resumes = 0;

  // Four records fill the target's high-water mark: the fourth write returns false.
  const paused = once(source, 'pause');
  for (let i = 0; i < 4; i++) source.write(patterned(TLS_RECORD_BYTES, i));
  await paused;
  assert.equal(out.paused, true);
  assert.equal(pauses, 1, 'one pause for one full spell');
  assert.equal(resumes, 0);

  const resumed = once(source, 'resume');
  while (held.length > 0) held.shift()!();
  await resumed;
  assert.equal(out.paused, false);
  assert.equal(resumes, 1);
});

test('bytes cross a real socket exactly, whatever the chunking and however slow the reader', async (t) => {
  const random = createPrng(0x5eed);
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < 2 * 1024 * 1024) {
    // Mostly small chunks, some larger than a record, some empty.
    const roll = random();
    const length = roll < 0.05 ? 0 : roll < 0.85 ? Math.floor(random() * 2000) : Math.floor(random() * 80_000);
    const chunk = patterned(length, chunks.length);
    chunks.push(chunk);
    total += length;
  }
  const expected = Buffer.concat(chunks);

  const received: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    const server = createServer((socket: Socket) => {
      // A slow reader: it pauses after every read, so the writer's socket fills up.
      socket.on('data', (data: Buffer) => {
        received.push(data);
        socket.pause();
        setImmediate(() => socket.resume());
      });
      socket.on('end', () => {
        server.close();
        resolve();
      });
    });
    server.listen(0, '127.0.0.1');
    t.after(() => server.close());
    void once(server, 'listening').then(() => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const client = connect(address.port, '127.0.0.1');
      const source = new PassThrough({ highWaterMark: 64 * 1024 });
      let pauses = 0;
      source.on('pause', () => pauses++);
      const out = new WriteCoalescer({ target: client, pause: () => source.pause(), resume: () => source.resume() });
      source.on('data', (chunk: Buffer) => out.write(chunk));
      source.on('end', () => {
        out.end();
        // The slow reader made the socket push back at least once on the way.
        assert.ok(pauses > 0, 'the source was paused by the full socket');
      });
      void (async () => {
        for (const chunk of chunks) if (!source.write(chunk)) await once(source, 'drain');
        source.end();
      })();
    });
  });
  await done;
  assert.equal(Buffer.concat(received).length, expected.length);
  assert.ok(Buffer.concat(received).equals(expected), 'the bytes arrived exactly as written');
});
