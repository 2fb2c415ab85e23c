// The compressed framer: frames built by hand with zlib (not by our writer) read back at every
// split, several and partial packets per frame, >16 MiB packets across frames, the limits, zip
// bombs, and the writer's frames read back by zlib and by the reader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  buildCompressedFrame,
  buildPackets,
  chunksOf,
  createSeededRandom,
  splitsEverywhere,
} from '../../src/testing/index.js';
import { CompressedPacketReader } from '../../src/wire/compressed-packet-reader.js';
import { CompressedPacketWriter, MIN_COMPRESS_LENGTH } from '../../src/wire/compressed-packet-writer.js';
import { serializePacket } from '../../src/wire/packet-writer.js';
import { MysqlPacketTooLargeError, MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { parseChunks } from './collectors.js';

const frame = buildCompressedFrame;

interface Read {
  plain: Buffer;
  sequenceIds: number[];
}

function readAll(chunks: readonly Buffer[], reader = new CompressedPacketReader()): Read {
  const parts: Buffer[] = [];
  const sequenceIds: number[] = [];
  for (const chunk of chunks) {
    reader.push(chunk, (plain, seq) => {
      parts.push(plain);
      sequenceIds.push(seq);
    });
  }
  return { plain: Buffer.concat(parts), sequenceIds };
}

const QUERY = serializePacket(Buffer.from(`\x03SELECT '${'abc'.repeat(40)}' AS x`), 0);
const ROWS = buildPackets(
  [
    Buffer.from([1]),
    Buffer.from('column definition'.repeat(5)),
    Buffer.from('row one'),
    Buffer.from([0xfe, 0, 0, 2, 0]),
  ],
  1,
);

test('a compressed frame and a stored frame read back at every split point', () => {
  const wire = Buffer.concat([frame(QUERY, 0), frame(Buffer.from('short'), 1, true)]);
  const expected = Buffer.concat([QUERY, Buffer.from('short')]);
  for (const [a, b] of splitsEverywhere(wire)) {
    const read = readAll([a, b]);
    assert.ok(read.plain.equals(expected), `split at ${a.length}`);
    assert.deepEqual(read.sequenceIds, [0, 1]);
  }
  const byByte = readAll(chunksOf(wire, 1));
  assert.ok(byByte.plain.equals(expected));
});

test('several packets in one frame, and one packet cut across frames, come out as the same plain stream', () => {
  const stream = Buffer.concat([QUERY, ROWS]);
  // Cut the stream mid-header and mid-payload, the way a server flushing a 16 KiB buffer does.
  const cuts = [0, 3, 60, 61, stream.length - 2, stream.length];
  const frames: Buffer[] = [];
  for (let i = 1; i < cuts.length; i++) frames.push(frame(stream.subarray(cuts[i - 1], cuts[i]), i - 1, i % 2 === 0));
  const reader = new CompressedPacketReader();
  const read = readAll([Buffer.concat(frames)], reader);
  assert.ok(read.plain.equals(stream));
  assert.deepEqual(read.sequenceIds, [0, 1, 2, 3, 4]);
  assert.equal(reader.lastSequenceId, 4);
  assert.equal(reader.idle, true);
  assert.deepEqual(
    parseChunks([read.plain]).map((p) => p.sequenceId),
    [0, 1, 2, 3, 4],
  );
});

test('idle and bufferedBytes follow a partial frame and a partial inner packet', () => {
  const reader = new CompressedPacketReader();
  const wire = frame(QUERY, 0);
  reader.push(wire.subarray(0, 10), () => assert.fail('no frame is whole yet'));
  assert.equal(reader.idle, false);
  assert.equal(reader.bufferedBytes, 3);
  reader.push(wire.subarray(10), () => {});
  assert.equal(reader.idle, true);
  assert.equal(reader.bufferedBytes, 0);
  // A whole frame that carries half a packet leaves the inner framer mid-packet.
  reader.push(frame(QUERY.subarray(0, 20), 1), () => {});
  assert.equal(reader.idle, false);
  reader.push(frame(QUERY.subarray(20), 2), () => {});
  assert.equal(reader.idle, true);
});

test('a 20 MiB packet spread over compressed frames reads back, and the writer produces such frames', () => {
  const random = createSeededRandom(7);
  const payload = Buffer.alloc(20 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 97) payload[i] = random.int(256);
  const plain = serializePacket(payload, 0);
  const writer = new CompressedPacketWriter({ maxFrameLength: 0xffffff });
  const out = writer.write(plain, []);
  assert.equal(out.length, 2 * 2, 'two frames of at most 0xFFFFFF plain bytes each');
  assert.equal(writer.sequenceId, 2);
  const reader = new CompressedPacketReader({ maxPacketSize: 32 * 1024 * 1024 });
  const read = readAll(chunksOf(Buffer.concat(out), 1024 * 1024 + 3), reader);
  assert.ok(read.plain.equals(plain));
  const packets = parseChunks([read.plain], { maxPacketSize: 32 * 1024 * 1024 });
  assert.equal(packets.length, 1);
  assert.equal(packets[0]!.frames, 2);
  assert.ok(packets[0]!.payload.equals(payload));
});

test('a plain packet over maxPacketSize fails from its header, before the frames after it', () => {
  const big = serializePacket(Buffer.alloc(5000, 1), 0);
  const reader = new CompressedPacketReader({ maxPacketSize: 4096 });
  assert.throws(
    () => reader.push(frame(big.subarray(0, 100), 0), () => assert.fail('nothing of it is handed out')),
    MysqlPacketTooLargeError,
  );
  // The limit is per plain packet, not per frame: one frame with two packets of 3000 bytes is fine,
  // and so is a 4000-byte packet cut across three frames.
  const two = Buffer.concat([serializePacket(Buffer.alloc(3000, 2), 0), serializePacket(Buffer.alloc(3000, 3), 1)]);
  const four = serializePacket(Buffer.alloc(4000, 4), 2);
  const wire = Buffer.concat([
    frame(two, 0),
    frame(four.subarray(0, 1000), 1),
    frame(four.subarray(1000, 3000), 2),
    frame(four.subarray(3000), 3),
  ]);
  const read = readAll([wire], new CompressedPacketReader({ maxPacketSize: 4096 }));
  assert.ok(read.plain.equals(Buffer.concat([two, four])));
});

test('zip bomb: a frame inflating past its declared length fails without inflating it all', () => {
  const bomb = deflateSync(Buffer.alloc(8 * 1024 * 1024));
  const header = Buffer.alloc(7);
  header.writeUIntLE(bomb.length, 0, 3);
  header.writeUIntLE(1000, 4, 3);
  const reader = new CompressedPacketReader();
  assert.throws(
    () => reader.push(Buffer.concat([header, bomb]), () => assert.fail('a bomb is never handed out')),
    (err: unknown) =>
      err instanceof MysqlProtocolError && err.code === 'GH_ERR_MYSQL_PROTOCOL' && /1000 bytes/.test(err.message),
  );
});

test('a frame inflating to less than declared, or not zlib at all, is a protocol error', () => {
  const short = frame(QUERY, 0);
  short.writeUIntLE(QUERY.length + 1, 4, 3);
  assert.throws(() => new CompressedPacketReader().push(short, () => {}), MysqlProtocolError);
  const garbage = Buffer.concat([Buffer.from([5, 0, 0, 0, 100, 0, 0]), Buffer.from('hello')]);
  assert.throws(() => new CompressedPacketReader().push(garbage, () => {}), MysqlProtocolError);
  const truncated = deflateSync(QUERY).subarray(0, 10);
  const header = Buffer.from([truncated.length, 0, 0, 0, QUERY.length, 0, 0]);
  assert.throws(
    () => new CompressedPacketReader().push(Buffer.concat([header, truncated]), () => {}),
    MysqlProtocolError,
  );
});

test('the writer stores short and incompressible payloads as is, and deflates the rest', () => {
  const writer = new CompressedPacketWriter();
  const short = writer.write(Buffer.alloc(MIN_COMPRESS_LENGTH - 1, 0x61), []);
  assert.equal(short[0]!.readUIntLE(4, 3), 0, 'stored: uncompressed length 0');
  assert.equal(short[0]!.readUIntLE(0, 3), MIN_COMPRESS_LENGTH - 1);
  const random = createSeededRandom(3);
  const noise = Buffer.from(Array.from({ length: 300 }, () => random.int(256)));
  const stored = writer.write(noise, []);
  assert.equal(stored[0]!.readUIntLE(4, 3), 0);
  assert.ok(stored[1]!.equals(noise));
  const text = Buffer.from('SELECT id, name FROM people WHERE name LIKE "a%"; '.repeat(20));
  const deflated = writer.write(text, []);
  assert.equal(deflated[0]!.readUIntLE(4, 3), text.length);
  assert.equal(deflated[0]!.readUIntLE(0, 3), deflated[1]!.length);
  assert.ok(deflated[1]!.length < text.length);
  assert.ok(inflateSync(deflated[1]!).equals(text), 'a frame body is one whole zlib stream');
  assert.deepEqual(
    [short, stored, deflated].map((f) => f[0]![3]),
    [0, 1, 2],
  );
});

test('the writer cuts at maxFrameLength, wraps the sequence id at 255, and writes an empty frame for no bytes', () => {
  const writer = new CompressedPacketWriter({ maxFrameLength: 100 });
  writer.sequenceId = 254;
  const out = writer.write(Buffer.alloc(250, 0x62), []);
  assert.deepEqual(
    out.filter((_, i) => i % 2 === 0).map((h) => h[3]),
    [254, 255, 0],
  );
  assert.equal(writer.sequenceId, 1);
  assert.ok(readAll([Buffer.concat(out)]).plain.equals(Buffer.alloc(250, 0x62)));
  const empty = writer.write(Buffer.alloc(0), []);
  assert.equal(empty.length, 2);
  assert.deepEqual([...empty[0]!], [0, 0, 0, 1, 0, 0, 0]);
});
