import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPackets, chunksOf, packetBuilder, splitsEverywhere } from '../../src/testing/index.js';
import { type PacketScanHandler, PacketScanner } from '../../src/wire/packet-scanner.js';
import { MysqlPacketTooLargeError, MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { ScanRecorder, scanChunks } from './collectors.js';

const payloads = [
  packetBuilder().u8(0x03).string('SELECT 1').payload(),
  Buffer.alloc(0),
  packetBuilder().u8(0xfe).u16(0).u16(2).payload(),
  packetBuilder().lenencString('y'.repeat(300)).payload(),
];
const stream = buildPackets(payloads, 3);

for (const prefixLength of [0, 1, 4, 9, 1000]) {
  test(`split at every offset, prefixLength ${prefixLength}: same frames, prefixes and payloads`, () => {
    for (const [head, tail] of splitsEverywhere(stream)) {
      const { packets, scanner } = scanChunks([head, tail], prefixLength);
      assert.equal(packets.length, payloads.length, `split at ${head.length}`);
      packets.forEach((p, i) => {
        const expected = payloads[i]!;
        assert.deepEqual(p.frames, [[3 + i, expected.length, false]]);
        assert.equal(p.length, expected.length);
        assert.equal(p.frameCount, 1);
        assert.deepEqual(p.payload, expected);
        if (prefixLength === 0) {
          assert.equal(p.prefix, null);
        } else {
          assert.deepEqual(p.prefix, expected.subarray(0, prefixLength));
          assert.equal(p.prefixComplete, expected.length <= prefixLength);
        }
      });
      assert.equal(scanner.idle, true);
    }
  });
}

test('one byte at a time gives the same result as one chunk', () => {
  assert.deepEqual(scanChunks(chunksOf(stream, 1), 5).packets, scanChunks([stream], 5).packets);
});

test('many packets in one chunk are reported in order; fast-path prefixes are views of the chunk', () => {
  const many = buildPackets(
    Array.from({ length: 300 }, (_, i) => packetBuilder().u16(i).string('row').payload()),
    0,
  );
  const firsts: number[] = [];
  const handler: PacketScanHandler = {
    onFrame: () => {},
    onPrefix: (buf, start) => {
      assert.equal(buf, many, 'prefix comes straight from the chunk');
      firsts.push(buf.readUInt16LE(start));
    },
    onPayload: () => assert.fail('payload not requested'),
    onPacketEnd: (length, frames) => {
      assert.equal(length, 5);
      assert.equal(frames, 1);
    },
  };
  const scanner = new PacketScanner(handler);
  scanner.prefixLength = 2;
  scanner.scan(many);
  assert.deepEqual(
    firsts,
    Array.from({ length: 300 }, (_, i) => i),
  );
});

test('a truncated header or payload reports nothing until the rest arrives', () => {
  const one = packetBuilder().string('hello').build(0);
  const recorder = new ScanRecorder();
  const scanner = new PacketScanner(recorder);
  scanner.prefixLength = 3;
  scanner.scan(one.subarray(0, 2));
  assert.equal(recorder.packets.length, 0);
  assert.equal(scanner.idle, false);
  scanner.scan(one.subarray(2, 6));
  assert.equal(recorder.packets.length, 0);
  scanner.scan(one.subarray(6));
  assert.equal(recorder.packets.length, 1);
  assert.equal(recorder.packets[0]!.prefix?.toString(), 'hel');
  assert.equal(scanner.idle, true);
});

test('prefixLength can be chosen per packet in onFrame', () => {
  const wire = buildPackets([Buffer.from('aaaaaaaa'), Buffer.from('bbbbbbbb')], 0);
  const prefixes: string[] = [];
  const scanner: PacketScanner = new PacketScanner({
    onFrame: (seq) => {
      scanner.prefixLength = seq === 0 ? 2 : 6;
    },
    onPrefix: (buf, start, end) => {
      prefixes.push(buf.toString('latin1', start, end));
    },
    onPayload: () => {},
    onPacketEnd: () => {},
  });
  for (const c of chunksOf(wire, 3)) scanner.scan(c);
  assert.deepEqual(prefixes, ['aa', 'bbbbbb']);
});

test('the prefix of a large packet is collected in a buffer of prefixLength bytes', () => {
  const payload = Buffer.alloc(1 << 20);
  payload.write('INSERT INTO t VALUES ', 'latin1');
  const wire = packetBuilder().bytes(payload).build(0);
  const recorder = new ScanRecorder();
  const scanner = new PacketScanner(recorder);
  scanner.prefixLength = 64;
  let maxCapacity = 0;
  for (const c of chunksOf(wire, 7)) {
    scanner.scan(c);
    maxCapacity = Math.max(maxCapacity, scanner.capacity);
  }
  assert.equal(recorder.packets[0]!.prefix?.toString('latin1', 0, 21), 'INSERT INTO t VALUES ');
  assert.equal(recorder.packets[0]!.prefix?.length, 64);
  assert.equal(recorder.packets[0]!.prefixComplete, false);
  assert.ok(maxCapacity <= 64, `prefix buffer bounded (${maxCapacity})`);
});

test('sequence ids wrap at 255 and expectSequence checks them', () => {
  const wire = buildPackets([Buffer.from('a'), Buffer.from('b')], 255);
  const { packets, scanner } = scanChunks([wire], 0);
  assert.deepEqual(
    packets.map((p) => p.frames[0]![0]),
    [255, 0],
  );
  assert.equal(scanner.lastSequenceId, 0);
  const strict = new PacketScanner(new ScanRecorder());
  strict.expectSequence(255);
  strict.scan(wire);
  strict.expectSequence(5);
  assert.throws(
    () => strict.scan(packetBuilder().u8(1).build(6)),
    (err: unknown) => err instanceof MysqlProtocolError && err.code === 'GH_ERR_MYSQL_PROTOCOL',
  );
});

test('maxPacketSize is checked from the header', () => {
  const scanner = new PacketScanner(new ScanRecorder(), { maxPacketSize: 10 });
  assert.throws(() => scanner.scan(Buffer.from([11, 0, 0, 0])), MysqlPacketTooLargeError);
});

test('stopAtBoundary returns at the next packet boundary, and scanning on from there finishes the rest', () => {
  const wire = buildPackets([Buffer.from('one'), Buffer.from('two'), Buffer.from('three')], 0);
  for (const [first, second] of splitsEverywhere(wire)) {
    const ends: number[] = [];
    const scanner: PacketScanner = new PacketScanner({
      onFrame: () => {},
      onPrefix: () => {},
      onPayload: () => {},
      onPacketEnd: (length) => {
        ends.push(length);
        // Asked during the first packet's end: nothing of the second may be read.
        if (ends.length === 1) scanner.stopAtBoundary = true;
      },
    });
    let reached = scanner.scan(first);
    let rest: Buffer = Buffer.concat([first.subarray(reached), second]);
    if (ends.length === 0) {
      reached = scanner.scan(second);
      rest = second.subarray(reached);
    }
    assert.deepEqual(ends, [3], `split at ${first.length}`);
    assert.equal(scanner.idle, true);
    assert.equal(rest.length, wire.length - 7, `split at ${first.length}: the rest starts at the second header`);
    scanner.stopAtBoundary = false;
    assert.equal(scanner.scan(rest), rest.length);
    assert.deepEqual(ends, [3, 3, 5]);
  }
});

test('headerStart tells where a whole header sits in the chunk, and -1 for one that came in pieces', () => {
  const wire = buildPackets([Buffer.from('ab'), Buffer.from('cd')], 0);
  const starts: number[] = [];
  const scanner = new PacketScanner({
    onFrame: (_seq, _length, _continuation, headerStart) => starts.push(headerStart),
    onPrefix: () => {},
    onPayload: () => {},
    onPacketEnd: () => {},
  });
  scanner.scan(wire);
  scanner.scan(wire.subarray(0, 2));
  scanner.scan(wire.subarray(2));
  assert.deepEqual(starts, [0, 6, -1, 4]);
});

test('with payload wanted, a packet prefix is handed over before the payload bytes that hold it', () => {
  const wire = buildPackets([Buffer.from('abcdefgh')], 0);
  for (const [first, second] of splitsEverywhere(wire)) {
    const events: string[] = [];
    const scanner = new PacketScanner({
      onFrame: () => {},
      onPrefix: (buf, start, end) => {
        events.push(`prefix ${buf.toString('latin1', start, end)}`);
      },
      onPayload: (buf, start, end) => events.push(`payload ${buf.toString('latin1', start, end)}`),
      onPacketEnd: () => {},
    });
    scanner.prefixLength = 4;
    scanner.wantPayload = true;
    scanner.scan(first);
    scanner.scan(second);
    const prefixAt = events.indexOf('prefix abcd');
    const payloadWithD = events.findIndex((e) => e.startsWith('payload ') && e.slice(8).includes('d'));
    assert.ok(prefixAt >= 0 && prefixAt < payloadWithD, `split at ${first.length}: ${events.join(' | ')}`);
  }
});

/**
 * Scans `wire` cut in two, pausing after the prefix of every packet whose first byte is 'h';
 * each pause resumes by scanning the rest of the chunk it stopped in, as a relay does.
 */
function scanPausing(wire: Buffer, cut: number, prefixLength: number) {
  const events: string[] = [];
  const payloads: Buffer[] = [];
  let current: Buffer[] = [];
  const scanner = new PacketScanner({
    onFrame: (_seq, length) => events.push(`frame ${length}`),
    // Pause after 'h…' packets and after the empty one (its prefix is empty).
    onPrefix: (buf, start, end) => {
      events.push(`prefix ${buf.toString('latin1', start, end)}`);
      return end === start || buf[start] === 0x68;
    },
    onPayload: (buf, start, end) => current.push(Buffer.from(buf.subarray(start, end))),
    onPacketEnd: (length) => {
      events.push(`end ${length}`);
      payloads.push(Buffer.concat(current));
      current = [];
    },
  });
  scanner.prefixLength = prefixLength;
  scanner.wantPayload = true;
  let pauses = 0;
  for (let chunk of [wire.subarray(0, cut), wire.subarray(cut)]) {
    for (;;) {
      const reached = scanner.scan(chunk);
      if (reached === chunk.length) break;
      pauses++;
      chunk = chunk.subarray(reached);
    }
  }
  // An empty packet paused at the very end ends on a scan of no bytes.
  if (!scanner.idle) scanner.scan(Buffer.alloc(0));
  return { events, payloads, pauses, idle: scanner.idle };
}

test('onPrefix returning true pauses: scan returns there, and scanning the rest passes every payload byte once', () => {
  const packets = [
    Buffer.from('hold me'),
    Buffer.from('free'),
    Buffer.from(`h${'x'.repeat(300)}`),
    Buffer.alloc(0),
    Buffer.from('last'),
  ];
  const wire = buildPackets(packets, 0);
  for (const prefixLength of [1, 4, 1000]) {
    const whole = scanPausing(wire, wire.length, prefixLength);
    assert.equal(whole.pauses, 3, 'two prefixes and the empty packet paused');
    for (let cut = 0; cut <= wire.length; cut++) {
      const out = scanPausing(wire, cut, prefixLength);
      assert.deepEqual(out.payloads, packets, `cut ${cut}, prefix ${prefixLength}`);
      assert.deepEqual(out.events, whole.events, `each prefix once, in order: cut ${cut}, prefix ${prefixLength}`);
      assert.equal(out.idle, true);
    }
  }
});
