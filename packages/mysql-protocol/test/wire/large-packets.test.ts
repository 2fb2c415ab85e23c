// The 16 MiB boundaries: payloads of 0xFFFFFE, 0xFFFFFF, 0x1000000 and 40 MiB, framed by the
// writer and read back by both framers, in chunks that cut headers at every position.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunksOf, splitAt } from '../../src/testing/index.js';
import { BufferWriter } from '../../src/wire/buffer-writer.js';
import { PacketParser } from '../../src/wire/packet-parser.js';
import { PacketScanner } from '../../src/wire/packet-scanner.js';
import { beginPacket, finishPacket, framePacket, serializePacket } from '../../src/wire/packet-writer.js';
import { scanChunks } from './collectors.js';

const MAX = 0xffffff;
const PATTERN = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 7 + 3) & 0xff));

function patterned(size: number): Buffer {
  return Buffer.alloc(size, PATTERN);
}

const sizes: Array<[string, number, number]> = [
  ['0xFFFFFE', MAX - 1, 1],
  ['0xFFFFFF', MAX, 2],
  ['0x1000000', MAX + 1, 2],
  ['40 MiB', 40 * 1024 * 1024, 3],
];

for (const [name, size, frames] of sizes) {
  test(`a ${name}-byte payload round-trips through writer, parser and scanner`, () => {
    const payload = patterned(size);
    const wire = serializePacket(payload, 250);
    assert.equal(wire.length, size + 4 * frames);
    // The last frame is short, possibly empty: that is what ends the packet.
    const lastHeader = (frames - 1) * (MAX + 4);
    assert.equal(wire.readUIntLE(lastHeader, 3), size - (frames - 1) * MAX);
    assert.equal(wire[lastHeader + 3], (250 + frames - 1) & 0xff);

    // Zero-copy framing and in-writer framing produce the same bytes.
    const parts: Buffer[] = [];
    assert.equal(framePacket(payload, 250, parts), (250 + frames) & 0xff);
    assert.ok(
      parts.some((p) => p.buffer === payload.buffer),
      'framePacket hands out views of the payload',
    );
    let offset = 0;
    for (const part of parts) {
      assert.ok(part.equals(wire.subarray(offset, offset + part.length)));
      offset += part.length;
    }
    assert.equal(offset, wire.length);
    const w = new BufferWriter();
    const at = beginPacket(w);
    w.bytes(payload);
    assert.equal(finishPacket(w, at, 250), (250 + frames) & 0xff);
    assert.ok(w.view().equals(wire));

    // Odd chunk sizes, plus cuts one to three bytes into every continuation header.
    const cuts: number[] = [];
    for (let f = 1; f < frames; f++) cuts.push(f * (MAX + 4) + 1, f * (MAX + 4) + 3);
    for (const chunks of [chunksOf(wire, 65_521), splitAt(wire, ...cuts)]) {
      const parser = new PacketParser();
      const got: Array<[boolean, number, number]> = [];
      for (const c of chunks) parser.push(c, (p, seq, n) => got.push([p.equals(payload), seq, n]));
      assert.deepEqual(got, [[true, 250, frames]]);
      assert.equal(parser.idle, true);

      const { packets } = scanChunks(chunks, 16, false);
      assert.equal(packets.length, 1);
      const p = packets[0]!;
      assert.equal(p.length, size);
      assert.equal(p.frameCount, frames);
      assert.deepEqual(
        p.frames.map(([seq, len, cont]) => [seq, cont, len]),
        Array.from({ length: frames }, (_, i) => [(250 + i) & 0xff, i > 0, i < frames - 1 ? MAX : size - i * MAX]),
      );
      assert.deepEqual(p.prefix, payload.subarray(0, 16));
      assert.equal(p.prefixComplete, false);

      // Payload fragments are views that line up with the payload, frame after frame.
      let offset = 0;
      let mismatches = 0;
      const scanner = new PacketScanner({
        onFrame: () => {},
        onPrefix: () => {},
        onPayload: (buf, start, end) => {
          if (!buf.subarray(start, end).equals(payload.subarray(offset, offset + end - start))) mismatches++;
          offset += end - start;
        },
        onPacketEnd: () => {},
      });
      scanner.wantPayload = true;
      for (const c of chunks) scanner.scan(c);
      assert.equal(offset, size);
      assert.equal(mismatches, 0);
    }
  });
}

test('a packet after a continuation chain still parses, and the sequence wraps through 255', () => {
  const big = patterned(MAX);
  const wire = Buffer.concat([serializePacket(big, 254), serializePacket(Buffer.from('after'), 0)]);
  const got: Array<[number, number, number]> = [];
  new PacketParser().push(wire, (p, seq, n) => got.push([p.length, seq, n]));
  assert.deepEqual(got, [
    [MAX, 254, 2],
    [5, 0, 1],
  ]);
});
