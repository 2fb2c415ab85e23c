import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferReader, NULL_LENGTH } from '../../src/wire/buffer-reader.js';
import { BufferWriter } from '../../src/wire/buffer-writer.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';

const isProtocolError = (err: unknown): boolean =>
  err instanceof MysqlProtocolError && err.code === 'GH_ERR_MYSQL_PROTOCOL';

test('fixed-width integers round-trip at their extremes', () => {
  const w = new BufferWriter(16);
  w.u8(0xff).u16(0xfffe).u24(0xfffffd).u32(0xfffffffc).u64(0xffff_ffff_ffff_fffbn);
  w.i8(-128)
    .i16(-32768)
    .i32(-2147483648)
    .i64(-(2n ** 63n))
    .f32(1.5)
    .f64(-0.1);
  w.u64(2 ** 53 - 1);
  const r = new BufferReader(w.view());
  assert.equal(r.u8(), 0xff);
  assert.equal(r.u16(), 0xfffe);
  assert.equal(r.u24(), 0xfffffd);
  assert.equal(r.u32(), 0xfffffffc);
  assert.equal(r.u64(), 0xffff_ffff_ffff_fffbn);
  assert.equal(r.i8(), -128);
  assert.equal(r.i16(), -32768);
  assert.equal(r.i32(), -2147483648);
  assert.equal(r.i64(), -(2n ** 63n));
  assert.equal(r.f32(), 1.5);
  assert.equal(r.f64(), -0.1);
  assert.equal(r.u64Number(), 2 ** 53 - 1);
  assert.equal(r.remaining, 0);
});

test('u64Number returns a bigint only beyond Number.MAX_SAFE_INTEGER', () => {
  const w = new BufferWriter().u64(2n ** 53n).u64(12345);
  const r = new BufferReader(w.view());
  assert.equal(r.u64Number(), 2n ** 53n);
  assert.equal(r.u64Number(), 12345);
});

const lenencCases: Array<[number | bigint, number[]]> = [
  [0, [0x00]],
  [250, [0xfa]],
  [251, [0xfc, 0xfb, 0x00]],
  [0xffff, [0xfc, 0xff, 0xff]],
  [0x10000, [0xfd, 0x00, 0x00, 0x01]],
  [0xffffff, [0xfd, 0xff, 0xff, 0xff]],
  [0x1000000, [0xfe, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]],
  [2 ** 53 - 1, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00]],
  [0xffff_ffff_ffff_ffffn, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
];
for (const [value, bytes] of lenencCases) {
  test(`length-encoded integer ${value} uses its ${bytes.length}-byte form`, () => {
    const out = new BufferWriter().lenencInt(value).view();
    assert.deepEqual([...out], bytes);
    assert.equal(new BufferReader(out).lenencUint(), value);
    // Every truncation of the encoding is a protocol error, never a wrong value.
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => new BufferReader(out.subarray(0, cut)).lenencUint(), isProtocolError);
    }
  });
}

test('lenencInt refuses values a number cannot hold exactly', () => {
  const out = new BufferWriter().lenencInt(2n ** 60n).view();
  assert.throws(() => new BufferReader(out).lenencInt(), isProtocolError);
});

test('0xFB is NULL only where rows allow it, and 0xFF is never an integer', () => {
  assert.throws(() => new BufferReader(Buffer.from([0xfb])).lenencInt(), isProtocolError);
  assert.throws(() => new BufferReader(Buffer.from([0xff])).lenencUint(), isProtocolError);
  const row = new BufferReader(Buffer.from([0xfb, 0x02, 0x61, 0x62, 0xfb]));
  assert.equal(row.lenencLengthOrNull(), NULL_LENGTH);
  assert.equal(row.lenencStringOrNull(), 'ab');
  assert.equal(row.lenencBytesOrNull(), null);
  assert.equal(row.remaining, 0);
});

test('strings and bytes come back as views of the source buffer', () => {
  const w = new BufferWriter();
  w.string('abc')
    .nulString('héllo')
    .lenencString('x'.repeat(300))
    .lenencBytes(Buffer.from([1, 2]))
    .nulBytes(Buffer.from([9]));
  w.fill(3, 0xaa).string('rest');
  const src = Buffer.from(w.view());
  const r = new BufferReader(src);
  assert.equal(r.fixedString(3), 'abc');
  assert.equal(r.nulString(), 'héllo');
  assert.equal(r.lenencString(), 'x'.repeat(300));
  const b = r.lenencBytes();
  assert.deepEqual([...b], [1, 2]);
  assert.equal(b.buffer, src.buffer, 'lenencBytes is a view, not a copy');
  assert.deepEqual([...r.nulBytes()], [9]);
  assert.deepEqual([...r.bytes(3)], [0xaa, 0xaa, 0xaa]);
  assert.equal(r.restString(), 'rest');
  assert.equal(r.restBytes().length, 0);
});

test('NUL-terminated reads stop at the window end, not the buffer end', () => {
  const buf = Buffer.from('abc\0def\0');
  assert.throws(() => new BufferReader(buf, 0, 3).nulString(), isProtocolError);
  const r = new BufferReader(buf, 4, 7);
  assert.equal(r.nulBytesOrRest().toString(), 'def');
  assert.equal(r.remaining, 0);
});

test('every reader method throws MysqlProtocolError when the payload is one byte short', () => {
  const reads: Array<[string, number, (r: BufferReader) => unknown]> = [
    ['u8', 1, (r) => r.u8()],
    ['u16', 2, (r) => r.u16()],
    ['u24', 3, (r) => r.u24()],
    ['u32', 4, (r) => r.u32()],
    ['u64', 8, (r) => r.u64()],
    ['u64Number', 8, (r) => r.u64Number()],
    ['i8', 1, (r) => r.i8()],
    ['i16', 2, (r) => r.i16()],
    ['i32', 4, (r) => r.i32()],
    ['i64', 8, (r) => r.i64()],
    ['f32', 4, (r) => r.f32()],
    ['f64', 8, (r) => r.f64()],
    ['bytes', 5, (r) => r.bytes(5)],
    ['fixedString', 5, (r) => r.fixedString(5)],
    ['skip', 5, (r) => r.skip(5)],
  ];
  // The window ends one byte early inside a larger buffer, so Buffer's own bounds never help.
  const buf = Buffer.alloc(32, 0x01);
  for (const [name, size, read] of reads) {
    assert.doesNotThrow(() => read(new BufferReader(buf, 10, 10 + size)), name);
    assert.throws(() => read(new BufferReader(buf, 10, 10 + size - 1)), isProtocolError, name);
  }
  assert.throws(() => new BufferReader(Buffer.from([5, 1, 2])).lenencString(), isProtocolError);
  assert.throws(() => new BufferReader(Buffer.from([5, 1, 2])).lenencBytes(), isProtocolError);
});

test('reset re-points one reader at many windows, and release lets go of the buffer', () => {
  const r = new BufferReader();
  const buf = Buffer.from([1, 2, 3, 4, 5, 6]);
  assert.equal(r.reset(buf, 2, 4).u16(), 0x0403);
  assert.equal(r.reset(buf, 5).u8(), 6);
  r.release();
  assert.equal(r.buffer.length, 0);
  assert.equal(r.remaining, 0);
  assert.equal(r.peekU8(), -1);
});

test('writer grows by doubling and flushed views survive later writes', () => {
  const w = new BufferWriter(16);
  w.string('first');
  const first = w.flush();
  for (let i = 0; i < 1000; i++) w.u32(i);
  const second = w.flush();
  w.string('third');
  w.reset();
  w.string('fourth');
  assert.equal(first.toString(), 'first');
  assert.equal(second.length, 4000);
  assert.equal(second.readUInt32LE(3996), 999);
  assert.equal(w.view().toString(), 'fourth');
  assert.equal(w.length, 6);
});

test('small packets flushed back to back share one allocation', () => {
  const w = new BufferWriter(1024);
  const a = w.u8(1).flush();
  const b = w.u8(2).flush();
  assert.equal(a.buffer, b.buffer);
  assert.equal(b.byteOffset, a.byteOffset + 1);
});

test('writer refuses integers that cannot be length-encoded', () => {
  for (const bad of [-1, 1.5, 2 ** 53, -1n, 2n ** 64n]) {
    assert.throws(() => new BufferWriter().lenencInt(bad), isProtocolError, String(bad));
  }
});
