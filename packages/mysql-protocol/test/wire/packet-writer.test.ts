import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferWriter } from '../../src/wire/buffer-writer.js';
import {
  beginPacket,
  countFrames,
  finishPacket,
  framePacket,
  nextSequenceId,
  serializePacket,
} from '../../src/wire/packet-writer.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { SequenceTracker } from '../../src/wire/sequence-tracker.js';

test('serializePacket writes the 3-byte length and the sequence id before the payload', () => {
  assert.deepEqual([...serializePacket(Buffer.from([0x0e]), 0)], [1, 0, 0, 0, 0x0e]);
  assert.deepEqual([...serializePacket(Buffer.alloc(0), 7)], [0, 0, 0, 7]);
  const p = serializePacket(Buffer.alloc(0x012345, 1), 255);
  assert.deepEqual([...p.subarray(0, 4)], [0x45, 0x23, 0x01, 255]);
});

test('frame counts and next sequence ids follow the 0xFFFFFF rule mod 256', () => {
  assert.equal(countFrames(0), 1);
  assert.equal(countFrames(0xfffffe), 1);
  assert.equal(countFrames(0xffffff), 2);
  assert.equal(countFrames(0xffffff * 2), 3);
  assert.equal(nextSequenceId(255, 10), 0);
  assert.equal(nextSequenceId(255, 0xffffff), 1);
  assert.equal(nextSequenceId(3, 0), 4);
});

test('framePacket appends a header view and a payload view without copying', () => {
  const payload = Buffer.from('hello');
  const out: Buffer[] = [];
  assert.equal(framePacket(payload, 255, out), 0);
  assert.equal(out.length, 2);
  assert.deepEqual([...out[0]!], [5, 0, 0, 255]);
  assert.equal(out[1]!.buffer, payload.buffer);
  const empty: Buffer[] = [];
  framePacket(Buffer.alloc(0), 1, empty);
  assert.deepEqual(
    empty.map((b) => [...b]),
    [[0, 0, 0, 1]],
  );
});

test('several packets built in one writer flush as one buffer with correct headers', () => {
  const w = new BufferWriter(8);
  let seq = 1;
  let at = beginPacket(w);
  w.u8(0x00).lenencInt(0).lenencInt(0).u16(2).u16(0);
  seq = finishPacket(w, at, seq);
  at = beginPacket(w);
  w.string('second');
  seq = finishPacket(w, at, seq);
  const bytes = w.flush();
  assert.equal(seq, 3);
  assert.deepEqual([...bytes.subarray(0, 4)], [7, 0, 0, 1]);
  assert.deepEqual([...bytes.subarray(11, 15)], [6, 0, 0, 2]);
  assert.equal(bytes.toString('latin1', 15), 'second');
});

test('SequenceTracker hands out ids mod 256 and rejects out-of-order ones', () => {
  const t = new SequenceTracker();
  t.reset(254);
  assert.deepEqual([t.take(), t.take(), t.take()], [254, 255, 0]);
  t.reset();
  t.accept(0);
  t.acceptPacket(1, 3);
  assert.equal(t.next, 4);
  assert.throws(
    () => t.accept(9),
    (err: unknown) => err instanceof MysqlProtocolError,
  );
});
