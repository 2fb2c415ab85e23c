// Seeded random input for every wire parser: it may only ever raise MysqlProtocolError. Valid
// streams cut at random places must come out of both framers exactly as they went in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom, type SeededRandom } from '../../src/testing/index.js';
import { BufferReader } from '../../src/wire/buffer-reader.js';
import { Capability } from '../../src/wire/capabilities.js';
import { parseGenericPacket } from '../../src/wire/generic-packets.js';
import { PacketParser } from '../../src/wire/packet-parser.js';
import { PacketScanner } from '../../src/wire/packet-scanner.js';
import { serializePacket } from '../../src/wire/packet-writer.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { parseSessionStateChanges } from '../../src/wire/session-state.js';
import { ScanRecorder } from './collectors.js';

const CASES = 100_000;

function expectOnlyProtocolErrors(seed: number, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof MysqlProtocolError)) {
      assert.fail(`seed ${seed}: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
}

/** Cuts `bytes` at random places, sometimes into single bytes. */
function randomChunks(rng: SeededRandom, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const n = rng.int(4) === 0 ? 1 : 1 + rng.int(bytes.length);
    out.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

/** Random bytes with a bias towards the header bytes the parsers branch on. */
function randomPayload(rng: SeededRandom, maxLength: number): Buffer {
  const b = rng.bytes(rng.int(maxLength + 1));
  if (b.length > 0 && rng.int(2) === 0) b[0] = [0x00, 0xfe, 0xff, 0xfb][rng.int(4)]!;
  for (let i = 1; i < b.length; i++)
    if (rng.int(8) === 0) b[i] = [0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0x00, 0x23][rng.int(7)]!;
  return b;
}

test(`PacketParser and PacketScanner: ${CASES} random byte streams raise only MysqlProtocolError`, () => {
  const rng = createSeededRandom(0x5eed01);
  for (let i = 0; i < CASES; i++) {
    const bytes = rng.bytes(1 + rng.int(40));
    // Small announced lengths are common in practice; force some so payloads complete.
    if (rng.int(2) === 0) bytes[1] = bytes[2] = 0;
    const maxPacketSize = 1 + rng.int(64);
    const chunks = randomChunks(rng, bytes);
    const parser = new PacketParser({ maxPacketSize });
    const scanner = new PacketScanner(new ScanRecorder(), { maxPacketSize });
    scanner.prefixLength = rng.int(8);
    scanner.wantPayload = rng.int(2) === 0;
    if (rng.int(2) === 0) {
      parser.expectSequence(bytes[3] ?? 0);
      scanner.expectSequence(rng.int(256));
    }
    expectOnlyProtocolErrors(i, () => {
      for (const c of chunks) parser.push(c, () => {});
    });
    expectOnlyProtocolErrors(i, () => {
      for (const c of chunks) scanner.scan(c);
    });
    assert.ok(parser.capacity <= 256, `seed ${i}: parser buffer stays bounded`);
  }
});

test(`PacketParser and PacketScanner: ${CASES} valid streams cut at random agree with what was framed`, () => {
  const rng = createSeededRandom(0x5eed02);
  for (let i = 0; i < CASES; i++) {
    const count = 1 + rng.int(4);
    const firstSeq = rng.int(256);
    const payloads: Buffer[] = [];
    for (let k = 0; k < count; k++) payloads.push(rng.bytes(rng.int(rng.int(10) === 0 ? 3000 : 40)));
    const wire = Buffer.concat(payloads.map((p, k) => serializePacket(p, firstSeq + k)));
    const chunks = randomChunks(rng, wire);

    const parser = new PacketParser({ maxPacketSize: 4096 });
    parser.expectSequence(firstSeq);
    const parsed: Buffer[] = [];
    for (const c of chunks) parser.push(c, (p) => parsed.push(Buffer.from(p)));
    assert.deepEqual(parsed, payloads, `seed ${i}: parser`);

    const recorder = new ScanRecorder();
    const scanner = new PacketScanner(recorder);
    const prefixLength = rng.int(50);
    scanner.prefixLength = prefixLength;
    scanner.wantPayload = true;
    for (const c of chunks) scanner.scan(c);
    assert.equal(recorder.packets.length, count, `seed ${i}: scanner count`);
    recorder.packets.forEach((p, k) => {
      assert.deepEqual(p.payload, payloads[k], `seed ${i}: scanner payload ${k}`);
      if (prefixLength > 0)
        assert.deepEqual(p.prefix, payloads[k]!.subarray(0, prefixLength), `seed ${i}: prefix ${k}`);
    });
  }
});

const CAPS = [
  0,
  Capability.Protocol41,
  Capability.Protocol41 | Capability.Transactions | Capability.SessionTrack,
  Capability.Protocol41 | Capability.SessionTrack | Capability.DeprecateEof,
  Capability.Transactions,
];

test(`parseGenericPacket: ${CASES} random payloads raise only MysqlProtocolError`, () => {
  const rng = createSeededRandom(0x5eed03);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    const payload = randomPayload(rng, 48);
    expectOnlyProtocolErrors(i, () => {
      const p = parseGenericPacket(payload, CAPS[rng.int(CAPS.length)]!);
      assert.equal(p.bytes, payload);
      parsed++;
    });
  }
  assert.ok(parsed > CASES / 10, `the fuzzer reaches successful parses too (${parsed})`);
});

test(`parseSessionStateChanges: ${CASES} random blocks raise only MysqlProtocolError`, () => {
  const rng = createSeededRandom(0x5eed04);
  for (let i = 0; i < CASES; i++) {
    const block = randomPayload(rng, 32);
    if (block.length > 0 && rng.int(2) === 0) block[0] = rng.int(7);
    expectOnlyProtocolErrors(i, () => parseSessionStateChanges(block));
  }
});

test(`BufferReader: ${CASES} random read sequences raise only MysqlProtocolError`, () => {
  const rng = createSeededRandom(0x5eed05);
  const r = new BufferReader();
  const reads: Array<(r: BufferReader) => unknown> = [
    (r) => r.u8(),
    (r) => r.u16(),
    (r) => r.u24(),
    (r) => r.u32(),
    (r) => r.u64Number(),
    (r) => r.i64(),
    (r) => r.f64(),
    (r) => r.lenencUint(),
    (r) => r.lenencInt(),
    (r) => r.lenencLengthOrNull(),
    (r) => r.lenencString(),
    (r) => r.lenencBytesOrNull(),
    (r) => r.nulString(),
    (r) => r.nulBytesOrRest(),
    (r) => r.fixedString(rng.int(8)),
    (r) => r.skip(rng.int(8)),
    (r) => r.restBytes(),
  ];
  for (let i = 0; i < CASES; i++) {
    const buf = randomPayload(rng, 24);
    const start = rng.int(buf.length + 1);
    r.reset(buf, start, start + rng.int(buf.length - start + 1));
    expectOnlyProtocolErrors(i, () => {
      for (let k = 0; k < 6; k++) reads[rng.int(reads.length)]!(r);
    });
    assert.ok(r.offset <= r.end, `seed ${i}: the cursor never passes the window`);
  }
});
