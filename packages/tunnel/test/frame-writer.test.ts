import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameType } from '../src/constants.js';
import { type FrameSegment, FrameWriter } from '../src/frame-writer.js';
import type { TunnelFrame } from '../src/frames.js';
import { FrameParser, type TunnelTransport } from '../src/index.js';

function capture(headroom: number | undefined): { transport: TunnelTransport; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const transport: TunnelTransport = {
    ...(headroom === undefined ? {} : { headroom }),
    send: (buffer, done) => {
      sent.push(buffer);
      done();
    },
    close: () => {},
    terminate: () => {},
  };
  return { transport, sent };
}

function parseAll(message: Buffer): TunnelFrame[] {
  const frames: TunnelFrame[] = [];
  new FrameParser().parse(message, (frame) => frames.push(frame));
  return frames;
}

for (const headroom of [undefined, 14]) {
  test(`frames queued in one turn leave as one message after ${headroom ?? 0} bytes of headroom`, () => {
    const { transport, sent } = capture(headroom);
    const writer = new FrameWriter(transport, 1024 * 1024);
    writer.write(FrameType.Data, 3, Buffer.from('select 1'));
    writer.write(FrameType.Fin, 5);
    writer.write(FrameType.Data, 7, Buffer.alloc(70_000, 0x61));
    writer.flush();
    assert.equal(sent.length, 1);
    const message = sent[0]!;
    const skip = headroom ?? 0;
    assert.equal(message.length, skip + 10 + 8 + 10 + 10 + 70_000);
    const frames = parseAll(message.subarray(skip));
    assert.deepEqual(
      frames.map((f) => [f.kind, 'streamId' in f ? f.streamId : -1]),
      [
        ['data', 3],
        ['fin', 5],
        ['data', 7],
      ],
    );
    const first = frames[0]!;
    assert.ok(first.kind === 'data' && first.payload.toString() === 'select 1');
    assert.equal(writer.bufferedBytes, 0, 'the headroom is not counted as buffered bytes');
  });
}

test('a carrier with sendSegments gets DATA payloads as the buffers written, in order with the serialized frames around them', () => {
  const batches: (readonly FrameSegment[])[] = [];
  let sentAsMessage = 0;
  const transport: TunnelTransport = {
    send: (_buffer, done) => {
      sentAsMessage++;
      done();
    },
    sendSegments: (segments, done) => {
      batches.push(segments);
      done();
    },
    close: () => {},
    terminate: () => {},
  };
  const writer = new FrameWriter(transport, 1024 * 1024);
  const bulk = Buffer.alloc(70_000, 0x61);
  const small = Buffer.from('select 1');
  writer.write(FrameType.Window, 3, Buffer.from([0, 0, 1, 0]));
  writer.write(FrameType.Fin, 5);
  writer.write(FrameType.Data, 7, bulk);
  writer.write(FrameType.Data, 3, small);
  writer.write(FrameType.Fin, 7);
  writer.flush();
  assert.equal(sentAsMessage, 0);
  assert.equal(batches.length, 1);
  const [before, first, second, after] = batches[0]!;
  assert.equal(batches[0]!.length, 4);
  assert.deepEqual(
    parseAll(before as Buffer).map((f) => [f.kind, 'streamId' in f ? f.streamId : -1]),
    [
      ['window', 3],
      ['fin', 5],
    ],
  );
  assert.ok(
    !Buffer.isBuffer(first) && first!.streamId === 7 && first!.payload === bulk,
    'the bulk payload is not copied',
  );
  assert.ok(!Buffer.isBuffer(second) && second!.streamId === 3 && second!.payload === small);
  assert.deepEqual(
    parseAll(after as Buffer).map((f) => [f.kind, 'streamId' in f ? f.streamId : -1]),
    [['fin', 7]],
  );
  assert.equal(writer.bufferedBytes, 0);
});

test('a carrier that caps messages gets messages of at most its cap, and an oversized frame alone', () => {
  const cap = 16_376;
  const sent: Buffer[] = [];
  const transport: TunnelTransport = {
    headroom: 14,
    maxMessageBytes: cap,
    send: (buffer, done) => {
      // A copy: the writer may reuse the buffer once done has run.
      sent.push(Buffer.from(buffer.subarray(14)));
      done();
    },
    close: () => {},
    terminate: () => {},
  };
  const writer = new FrameWriter(transport, 1024 * 1024);
  const payloads = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1000 + i * 37, i));
  for (const [i, payload] of payloads.entries()) writer.write(FrameType.Data, 2 * i + 1, payload);
  const oversizedPayload = Buffer.alloc(50_000, 0x7a);
  writer.write(FrameType.Data, 99, oversizedPayload);
  writer.write(FrameType.Fin, 3);
  writer.flush();
  const oversized = sent.filter((m) => m.length > cap);
  assert.equal(oversized.length, 1, 'only the frame larger than a message goes over the cap');
  assert.equal(oversized[0]!.length, 10 + oversizedPayload.length);
  const frames = sent.flatMap((m) => parseAll(m));
  assert.deepEqual(
    frames.filter((f) => f.kind === 'data').map((f) => (f.kind === 'data' ? f.payload : undefined)),
    [...payloads, oversizedPayload],
  );
  assert.equal(frames.at(-1)!.kind, 'fin');
  // Messages are packed: each but the last is too full to take the frame that opened the next.
  for (let i = 0; i + 1 < sent.length; i++) {
    const nextFirst = parseAll(sent[i + 1]!)[0]!;
    assert.ok(sent[i]!.length + nextFirst.bytes.length > cap, `message ${i} could have taken the next frame`);
  }
});

test('message buffers of a capped carrier are reused once the carrier is done with them', () => {
  const held: { buffer: Buffer; done: () => void }[] = [];
  const transport: TunnelTransport = {
    maxMessageBytes: 1000,
    send: (buffer, done) => held.push({ buffer, done: () => done() }),
    close: () => {},
    terminate: () => {},
  };
  const writer = new FrameWriter(transport, 1024 * 1024);
  writer.write(FrameType.Data, 1, Buffer.alloc(900, 1));
  writer.write(FrameType.Data, 1, Buffer.alloc(900, 2));
  assert.equal(held.length, 1, 'the second frame did not fit the first message');
  writer.flush();
  assert.equal(held.length, 2);
  // Two messages in flight at once use two buffers.
  assert.notEqual(held[0]!.buffer.buffer, held[1]!.buffer.buffer);
  const firstBacking = held[0]!.buffer.buffer;
  held[0]!.done();
  writer.write(FrameType.Data, 1, Buffer.alloc(100, 3));
  writer.flush();
  assert.equal(held.length, 3);
  assert.equal(held[2]!.buffer.buffer, firstBacking, 'the released buffer was taken again');
  assert.deepEqual(
    parseAll(held[2]!.buffer).map((f) => (f.kind === 'data' ? f.payload.length : -1)),
    [100],
  );
});
