import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createResponseTracker, readTrackedCommand, ServerStatus, serializePacket } from '@gatehouse/mysql-protocol';
import { packetBuilder } from '@gatehouse/testing';
import { OkSplicer } from '../../src/session/ok-splicer.js';

const CAPS = 0x0200 | 0x2000 | 0x00800000; // PROTOCOL_41 | TRANSACTIONS | SESSION_TRACK

/** A splicer fed by a tracker, as the relay feeds it; every OK is rewritten to a bare OK. */
function setup() {
  const splicer = new OkSplicer(() => Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]));
  const tracker = createResponseTracker({
    capabilities: CAPS,
    onOutcome: () => {},
    onOkPacket: (_b, _s, _e, _c, length, endOffset) => splicer.replace(endOffset - 4 - length, endOffset),
  });
  const take = (chunk: Buffer): Buffer[] => {
    tracker.pushServer(chunk);
    return splicer.take(chunk, tracker);
  };
  return { splicer, tracker, take };
}

test('a chunk that cuts an OK: only the OK is held and copied; the rest goes as views of the chunks', () => {
  const { splicer, tracker, take } = setup();
  // A text result without DEPRECATE_EOF (count, one column, EOF, a row over 4 KiB so that its
  // chunk is no pool slice, EOF), then an UPDATE's OK, which the chunk cuts.
  const column = packetBuilder().lenencString('def').lenencString('').lenencString('').lenencString('');
  const def = column.lenencString('c').lenencString('').lenencInt(0x0c).u16(45).u32(100).u8(0xfd).u16(0).u8(0).u16(0);
  const eof = packetBuilder().u8(0xfe).u16(0).u16(ServerStatus.Autocommit).payload();
  const ok = packetBuilder()
    .u8(0)
    .lenencInt(1)
    .lenencInt(0)
    .u16(ServerStatus.Autocommit)
    .u16(0)
    .lenencString('info')
    .payload();
  const result = Buffer.concat([
    serializePacket(packetBuilder().lenencInt(1).payload(), 1),
    serializePacket(def.payload(), 2),
    serializePacket(eof, 3),
    serializePacket(packetBuilder().lenencString('x'.repeat(5000)).payload(), 4),
    serializePacket(eof, 5),
  ]);
  const okPacket = serializePacket(ok, 1);
  tracker.onCommand(readTrackedCommand(Buffer.from('\x03SELECT c FROM t')));
  tracker.onCommand(readTrackedCommand(Buffer.from('\x03UPDATE t SET c = 1')));
  const first = Buffer.concat([result, okPacket.subarray(0, 6)]);
  const second = okPacket.subarray(6);

  const out1 = take(first);
  assert.equal(splicer.heldBytes, 6, 'the six bytes of the OK so far, nothing more');
  assert.equal(Buffer.concat(out1).length, result.length);
  assert.ok(
    out1.every((piece) => piece.buffer === first.buffer),
    'the result goes as views of its chunk',
  );
  const out2 = take(second);
  assert.equal(splicer.heldBytes, 0);
  assert.deepEqual(out2, [serializePacket(Buffer.from([0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]), 1)]);
});

test('a long packet that a chunk cuts streams on; a short one behind it in the next chunk is held alone', () => {
  const { splicer, tracker, take } = setup();
  tracker.onCommand(readTrackedCommand(Buffer.from('\x03SELECT 1')));
  const count = serializePacket(packetBuilder().lenencInt(1).payload(), 1);
  const column = serializePacket(packetBuilder().lenencString('def').payload(), 2);
  const eof = serializePacket(packetBuilder().u8(0xfe).u16(0).u16(ServerStatus.Autocommit).payload(), 3);
  const bigRow = serializePacket(
    packetBuilder()
      .lenencString('y'.repeat(70 * 1024))
      .payload(),
    4,
  );
  const end = serializePacket(packetBuilder().u8(0xfe).u16(0).u16(ServerStatus.Autocommit).payload(), 5);
  const wire = Buffer.concat([count, column, eof, bigRow, end]);
  const cutInRow = count.length + column.length + eof.length + 100;
  const cutInEnd = wire.length - 3;
  const out1 = take(wire.subarray(0, cutInRow));
  assert.equal(splicer.heldBytes, 0, 'a row over the hold limit is not held');
  const out2 = take(wire.subarray(cutInRow, cutInEnd));
  assert.equal(splicer.heldBytes, end.length - 3, 'the EOF the chunk cut, alone');
  const out3 = take(wire.subarray(cutInEnd));
  assert.deepEqual(Buffer.concat([...out1, ...out2, ...out3]), wire, 'EOFs are not OKs: nothing rewritten');
});
