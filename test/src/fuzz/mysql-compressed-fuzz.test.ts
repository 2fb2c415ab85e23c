// Fuzz: the compressed framer (CLIENT_COMPRESS). Mutated compressed and stored frames, cut into
// random chunks, under random packet limits: the reader decodes or throws MysqlProtocolError,
// never anything else (a zlib error, a RangeError from a too-large output), and never hangs,
// whatever lengths a header declares. And the writer's frames always read back to what it was
// given. See fuzz-kit.ts for the contract and the knobs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import {
  CompressedPacketReader,
  CompressedPacketWriter,
  MysqlProtocolError,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import { buildCompressedFrame } from '@gatehouse/mysql-protocol/testing';
import fc from 'fast-check';
import { bytesNear, chunked, FUZZ_RUNS, FUZZ_SEED, fuzzDecoder } from './fuzz-kit.js';

const frame = buildCompressedFrame;

const QUERY = serializePacket(Buffer.from(`\x03SELECT '${'x'.repeat(80)}', 1, 2, 3`), 0);
const REPLY = Buffer.concat([
  serializePacket(Buffer.from([1]), 1),
  serializePacket(Buffer.from('def app t t id id'), 2),
]);
const SAMPLES = [
  frame(QUERY, 0, false),
  frame(QUERY, 0, true),
  Buffer.concat([frame(REPLY, 1, false), frame(QUERY.subarray(0, 30), 2, true), frame(QUERY.subarray(30), 3, false)]),
  // A header that declares far more than its body inflates to, and one that declares less.
  Buffer.concat([Buffer.from([11, 0, 0, 0, 0xff, 0xff, 0xff]), deflateSync(Buffer.alloc(2000))]),
  Buffer.concat([Buffer.from([11, 0, 0, 0, 10, 0, 0]), deflateSync(Buffer.alloc(2000))]),
];

test(`fuzz: CompressedPacketReader on ${FUZZ_RUNS} chunked streams raises only MysqlProtocolError`, () => {
  fuzzDecoder(
    fc.tuple(chunked(bytesNear(SAMPLES, 600)), fc.integer({ min: 0, max: 4096 })),
    ([chunks, max]) => {
      const reader = new CompressedPacketReader({ maxPacketSize: max });
      for (const chunk of chunks) reader.push(chunk, () => {});
    },
    [MysqlProtocolError],
  );
});

// Each case deflates up to 12 KB several times: capped, so that `npm run fuzz` stays minutes long.
const ROUND_TRIPS = Math.min(FUZZ_RUNS, 20_000);

test(`fuzz: ${ROUND_TRIPS} plain streams through CompressedPacketWriter read back unchanged`, () => {
  const plain = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.string({ maxLength: 40 }), fc.nat({ max: 200 })).map(([s, n]) => Buffer.from(s.repeat(n))),
  );
  const property = fc.property(
    fc.array(plain, { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 1, max: 4096 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 1, max: 9 }),
    (writes, maxFrameLength, firstSequenceId, level) => {
      const writer = new CompressedPacketWriter({ maxFrameLength, level });
      writer.sequenceId = firstSequenceId;
      const wire = Buffer.concat(writes.flatMap((w) => writer.write(w, [])));
      const reader = new CompressedPacketReader();
      const out: Buffer[] = [];
      const ids: number[] = [];
      for (let at = 0; at < wire.length; at += 777) {
        reader.push(wire.subarray(at, at + 777), (p, seq) => {
          out.push(p);
          ids.push(seq);
        });
      }
      assert.ok(Buffer.concat(out).equals(Buffer.concat(writes)));
      assert.deepEqual(
        ids,
        ids.map((_, i) => (firstSequenceId + i) & 0xff),
      );
    },
  );
  fc.assert(property, { seed: FUZZ_SEED, numRuns: ROUND_TRIPS });
});
