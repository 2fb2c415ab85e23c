import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPackets, chunksOf, packetBuilder, splitsEverywhere } from '../../src/testing/index.js';
import { PacketParser } from '../../src/wire/packet-parser.js';
import { MysqlPacketTooLargeError, MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { parseChunks } from './collectors.js';

const payloads = [
  packetBuilder().u8(0x03).string('SELECT 1').payload(),
  Buffer.alloc(0),
  packetBuilder().u8(0x00).lenencInt(1).lenencInt(0).u16(2).u16(0).payload(),
  packetBuilder().lenencString('x'.repeat(300)).lenencNull().payload(),
];
const stream = buildPackets(payloads, 0);

test('a stream split in two at every byte offset yields the same packets', () => {
  for (const [head, tail] of splitsEverywhere(stream)) {
    const got = parseChunks([head, tail]);
    assert.deepEqual(
      got.map((p) => [p.payload, p.sequenceId, p.frames]),
      payloads.map((p, i) => [p, i, 1]),
      `split at ${head.length}`,
    );
  }
});

test('a stream fed one byte at a time yields the same packets', () => {
  const got = parseChunks(chunksOf(stream, 1));
  assert.deepEqual(
    got.map((p) => p.payload),
    payloads,
  );
});

test('many packets in one chunk come out in order, as views of that chunk', () => {
  const many = buildPackets(
    Array.from({ length: 500 }, (_, i) => packetBuilder().u32(i).payload()),
    7,
  );
  const parser = new PacketParser();
  const seen: number[] = [];
  parser.push(many, (payload, seq, frames) => {
    assert.equal(payload.buffer, many.buffer, 'a packet whole in its chunk is not copied');
    assert.equal(frames, 1);
    assert.equal(seq, (7 + seen.length) & 0xff);
    seen.push(payload.readUInt32LE(0));
  });
  assert.deepEqual(
    seen,
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.equal(parser.idle, true);
  assert.equal(parser.lastSequenceId, (7 + 499) & 0xff);
});

test('a truncated header emits nothing and waits for the rest', () => {
  const parser = new PacketParser();
  let count = 0;
  parser.push(stream.subarray(0, 3), () => count++);
  assert.equal(count, 0);
  assert.equal(parser.idle, false);
  assert.equal(parser.bufferedBytes, 3);
  parser.push(stream.subarray(3), () => count++);
  assert.equal(count, payloads.length);
  assert.equal(parser.idle, true);
});

test('a truncated payload emits nothing and holds only that packet', () => {
  const one = packetBuilder().string('hello world').build(0);
  const parser = new PacketParser();
  let count = 0;
  parser.push(one.subarray(0, one.length - 1), () => count++);
  assert.equal(count, 0);
  assert.equal(parser.bufferedBytes, one.length - 1 - 4);
  parser.push(one.subarray(one.length - 1), (p) => {
    count++;
    assert.equal(p.toString(), 'hello world');
  });
  assert.equal(count, 1);
});

test('sequence ids wrap from 255 to 0, and expectSequence follows the wrap', () => {
  const wire = buildPackets([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')], 254);
  const parser = new PacketParser();
  parser.expectSequence(254);
  const seqs: number[] = [];
  parser.push(wire, (_p, seq) => seqs.push(seq));
  assert.deepEqual(seqs, [254, 255, 0]);
  assert.equal(parser.lastSequenceId, 0);
});

test('expectSequence rejects a gap with MysqlProtocolError', () => {
  const wire = Buffer.concat([packetBuilder().u8(1).build(0), packetBuilder().u8(2).build(2)]);
  const parser = new PacketParser();
  parser.expectSequence(0);
  let count = 0;
  assert.throws(
    () => parser.push(wire, () => count++),
    (err: unknown) => err instanceof MysqlProtocolError && err.code === 'GH_ERR_MYSQL_PROTOCOL',
  );
  assert.equal(count, 1);
});

test('without expectSequence, ids are only reported', () => {
  const wire = Buffer.concat([packetBuilder().u8(1).build(5), packetBuilder().u8(2).build(9)]);
  assert.deepEqual(
    parseChunks([wire]).map((p) => p.sequenceId),
    [5, 9],
  );
});

test('an oversized header is refused before any payload is buffered', () => {
  const parser = new PacketParser({ maxPacketSize: 1024 });
  const header = Buffer.from([0x01, 0x04, 0x00, 0x00]); // 1025 bytes announced
  assert.throws(
    () => parser.push(header, () => assert.fail('no packet expected')),
    (err: unknown) =>
      err instanceof MysqlPacketTooLargeError &&
      err instanceof MysqlProtocolError &&
      err.code === 'GH_ERR_MYSQL_PACKET_TOO_LARGE' &&
      err.length === 1025,
  );
  assert.equal(parser.capacity, 0, 'nothing was allocated for the refused payload');
});

test('continuation frames are refused once their running total passes the limit', () => {
  const limit = 20 * 1024 * 1024;
  const parser = new PacketParser({ maxPacketSize: limit });
  const frame = Buffer.alloc(4 + 0xffffff);
  frame.writeUIntLE(0xffffff, 0, 3);
  let threw: unknown;
  let fed = 0;
  try {
    for (let i = 0; i < 4; i++) {
      frame[3] = i;
      for (const c of chunksOf(frame, 1 << 20)) {
        parser.push(c, () => assert.fail('no packet expected'));
        fed += c.length;
      }
    }
  } catch (err) {
    threw = err;
  }
  assert.ok(threw instanceof MysqlPacketTooLargeError);
  assert.equal(threw.length, 2 * 0xffffff);
  assert.equal(fed, frame.length, 'refused at the second header, before its payload');
  assert.ok(parser.capacity <= limit, `assembly buffer stayed within the limit (${parser.capacity})`);
});

test('a packet exactly at the limit is accepted', () => {
  const payload = Buffer.alloc(1024, 7);
  const got = parseChunks(chunksOf(packetBuilder().bytes(payload).build(0), 100), { maxPacketSize: 1024 });
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.payload, payload);
});

test('a straddling packet is copied once into a buffer sized from its header', () => {
  const big = packetBuilder().fill(100_000, 0x5a).build(0);
  const parser = new PacketParser();
  let got: Buffer | undefined;
  for (const c of chunksOf(big, 4096)) {
    parser.push(c, (p) => {
      got = Buffer.from(p);
    });
  }
  assert.equal(got?.length, 100_000);
  assert.ok(got.every((b) => b === 0x5a));
  assert.equal(parser.capacity, 0, 'a large assembly buffer is let go after its packet');
});

test('reset drops a partial packet', () => {
  const parser = new PacketParser();
  parser.push(packetBuilder().string('partial').build(0).subarray(0, 6), () => assert.fail('nothing expected'));
  parser.reset();
  assert.equal(parser.idle, true);
  const got: string[] = [];
  parser.push(packetBuilder().string('next').build(0), (p) => got.push(p.toString()));
  assert.deepEqual(got, ['next']);
});
