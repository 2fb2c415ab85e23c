import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializePacket } from '@gatehouse/mysql-protocol';
import { readLeadingStatement } from '../../src/session/leading-statement.js';
import { ClientReader, type CommandVerdict } from '../../src/session/relay-client-reader.js';

function createPrng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the reader over `input` cut into the given pieces; returns what it forwarded and saw. */
function run(input: Buffer, cuts: readonly number[], deny: (prefix: Buffer) => boolean, prefixLimit?: number) {
  const forwarded: Buffer[] = [];
  const commands: string[] = [];
  const reader = new ClientReader(
    {
      nextIsCommand: () => true,
      onCommand(prefix): CommandVerdict {
        commands.push(prefix.toString('latin1'));
        return deny(prefix) ? 'drop' : 'forward';
      },
      onPacketEnd() {},
      forward: (bytes) => forwarded.push(Buffer.from(bytes)),
      onStopped() {},
    },
    prefixLimit,
  );
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    reader.push(input.subarray(at, cut));
    at = cut;
  }
  return { forwarded: Buffer.concat(forwarded), commands };
}

test('the client reader forwards allowed commands byte for byte and drops denied ones, at every split', () => {
  const a = serializePacket(Buffer.from('\x03SELECT 1'), 0);
  const denied = serializePacket(Buffer.from('\x0aSHUTDOWN'), 0);
  const long = serializePacket(Buffer.concat([Buffer.from([0x03]), Buffer.alloc(300, 0x41)]), 0);
  const input = Buffer.concat([a, denied, long]);
  const expected = Buffer.concat([a, long]);
  for (let i = 0; i <= input.length; i++) {
    for (const limit of [undefined, 16]) {
      const out = run(input, [i], (p) => p[0] === 0x0a, limit);
      assert.deepEqual(out.forwarded, expected, `split at ${i}, prefix limit ${limit}`);
      assert.equal(out.commands.length, 3);
    }
  }
});

test('the client reader stops at a packet boundary and resumes with the held bytes', () => {
  const packets = [1, 2, 3].map((n) => serializePacket(Buffer.from(`\x03SELECT ${n}`), 0));
  const forwarded: Buffer[] = [];
  let stops = 0;
  const reader: ClientReader = new ClientReader({
    nextIsCommand: () => true,
    onCommand(prefix) {
      if (prefix.toString().endsWith('1')) reader.stop();
      return 'forward';
    },
    onPacketEnd() {},
    forward: (bytes) => forwarded.push(Buffer.from(bytes)),
    onStopped: () => stops++,
  });
  reader.push(Buffer.concat(packets));
  assert.equal(stops, 1);
  assert.deepEqual(Buffer.concat(forwarded), packets[0]);
  reader.resume();
  assert.deepEqual(Buffer.concat(forwarded), Buffer.concat(packets));
});

test('seeded random input never throws from the client reader and is forwarded or dropped whole', () => {
  const random = createPrng(0x5eed);
  for (let n = 0; n < 2000; n++) {
    const input = Buffer.alloc(Math.floor(random() * 200));
    for (let i = 0; i < input.length; i++) input[i] = Math.floor(random() * 256);
    const cuts = [Math.floor(random() * input.length)].sort((x, y) => x - y);
    const all = run(input, cuts, () => false);
    assert.ok(input.subarray(0, all.forwarded.length).equals(all.forwarded));
  }
});

test('leading USE and KILL are found through comments, executable comments and quoting', () => {
  assert.deepEqual(readLeadingStatement('USE shop'), { kind: 'use', schema: 'shop' });
  assert.deepEqual(readLeadingStatement('  -- note\n/* c */ use `we``ird`;'), { kind: 'use', schema: 'we`ird' });
  assert.deepEqual(readLeadingStatement('/*!40101 USE secret */'), { kind: 'use', schema: 'secret' });
  assert.deepEqual(readLeadingStatement('#x\nUSE"q"'), { kind: 'use', schema: 'q' });
  assert.deepEqual(readLeadingStatement('SELECT * FROM users'), { kind: 'other' });
  assert.deepEqual(readLeadingStatement('user_stats'), { kind: 'other' });
  assert.deepEqual(readLeadingStatement('KILL QUERY 12'), { kind: 'kill', target: 'query', id: 12 });
  assert.deepEqual(readLeadingStatement('kill hard connection 7;'), { kind: 'kill', target: 'connection', id: 7 });
  assert.deepEqual(readLeadingStatement('KILL USER bob'), { kind: 'kill-other' });
  const random = createPrng(42);
  const alphabet = 'USEKILusekil `"\'#-/*!;0123456789 \n';
  for (let n = 0; n < 20_000; n++) {
    let sql = '';
    const length = Math.floor(random() * 40);
    for (let i = 0; i < length; i++) sql += alphabet[Math.floor(random() * alphabet.length)];
    const result = readLeadingStatement(sql);
    assert.ok(['use', 'kill', 'kill-other', 'other'].includes(result.kind));
  }
});

/**
 * Runs the reader over `input` cut at `cut`, holding every command whose text includes `hold`;
 * each held command is released (forward, drop, or replaced) only after the chunks are all in,
 * so later commands would overtake it if the reader did not keep them back.
 */
function runHeld(
  input: Buffer,
  cut: number,
  prefixLimit: number | undefined,
  release: (text: string) => { verdict: 'forward' | 'drop'; replacement?: Buffer },
) {
  const forwarded: Buffer[] = [];
  const held: string[] = [];
  let holding: string | undefined;
  const reader = new ClientReader(
    {
      nextIsCommand: () => true,
      onCommand(prefix): CommandVerdict {
        const text = prefix.toString('latin1');
        if (!text.includes('hold')) return 'forward';
        held.push(text);
        holding = text;
        return 'hold';
      },
      onPacketEnd() {},
      forward: (bytes) => forwarded.push(Buffer.from(bytes)),
      onStopped() {},
    },
    prefixLimit,
  );
  reader.push(input.subarray(0, cut));
  reader.push(input.subarray(cut));
  // Release one held command at a time, as hooks answer: releasing may hold the next one.
  while (holding !== undefined) {
    const text = holding;
    holding = undefined;
    const r = release(text);
    reader.release(r.verdict, r.replacement);
  }
  return { forwarded: Buffer.concat(forwarded), held };
}

test('a held command keeps its place: nothing behind it goes out before release, at every split', () => {
  const first = serializePacket(Buffer.from('\x03SELECT 1'), 0);
  const holdA = serializePacket(Buffer.from("\x03SELECT 'hold a'"), 0);
  const middle = serializePacket(Buffer.from('\x03SELECT 2'), 0);
  const holdB = serializePacket(Buffer.concat([Buffer.from("\x03SELECT 'hold b' "), Buffer.alloc(200, 0x20)]), 0);
  const last = serializePacket(Buffer.from('\x03SELECT 3'), 0);
  const input = Buffer.concat([first, holdA, middle, holdB, last]);
  const rewritten = serializePacket(Buffer.from("\x03SELECT 'rewritten'"), 0);
  for (let i = 0; i <= input.length; i++) {
    for (const limit of [undefined, 16]) {
      const out = runHeld(input, i, limit, (text) =>
        text.includes('hold a') ? { verdict: 'forward', replacement: rewritten } : { verdict: 'drop' },
      );
      assert.deepEqual(
        out.forwarded,
        Buffer.concat([first, rewritten, middle, last]),
        `split at ${i}, prefix limit ${limit}`,
      );
      assert.equal(out.held.length, 2);
      const kept = runHeld(input, i, limit, () => ({ verdict: 'forward' }));
      assert.deepEqual(kept.forwarded, input, `forwarded unchanged: split at ${i}, prefix limit ${limit}`);
    }
  }
});

test('a command held mid-packet (longer than the prefix) forwards or skips the rest of its packet on release', () => {
  const holdLong = serializePacket(Buffer.concat([Buffer.from("\x03SELECT 'hold' "), Buffer.alloc(5000, 0x20)]), 0);
  const after = serializePacket(Buffer.from('\x03SELECT 9'), 0);
  const input = Buffer.concat([holdLong, after]);
  for (const cut of [10, 100, 2000, holdLong.length - 1, holdLong.length + 3]) {
    assert.deepEqual(runHeld(input, cut, 64, () => ({ verdict: 'forward' })).forwarded, input, `forward, cut ${cut}`);
    assert.deepEqual(runHeld(input, cut, 64, () => ({ verdict: 'drop' })).forwarded, after, `drop, cut ${cut}`);
  }
});

test('a command released before the rest of its packet arrives: the rest follows the verdict', () => {
  const holdLong = serializePacket(Buffer.concat([Buffer.from("\x03SELECT 'hold' "), Buffer.alloc(500, 0x20)]), 0);
  const after = serializePacket(Buffer.from('\x03SELECT 9'), 0);
  const input = Buffer.concat([holdLong, after]);
  for (const verdict of ['forward', 'drop'] as const) {
    const forwarded: Buffer[] = [];
    const reader = new ClientReader(
      {
        nextIsCommand: () => true,
        onCommand: (prefix) => (prefix.includes('hold') ? 'hold' : 'forward'),
        onPacketEnd() {},
        forward: (bytes) => forwarded.push(Buffer.from(bytes)),
        onStopped() {},
      },
      64,
    );
    reader.push(input.subarray(0, 100));
    assert.equal(forwarded.length, 0, 'nothing goes while the command is held');
    reader.release(verdict);
    reader.push(input.subarray(100));
    assert.deepEqual(Buffer.concat(forwarded), verdict === 'forward' ? input : after, verdict);
  }
});

test('a held command longer than 16 MiB (split into frames) is forwarded byte for byte or skipped whole', () => {
  const big = Buffer.alloc(0xffffff + 1000, 0x20);
  big.write("\x03SELECT 'hold' ", 'latin1');
  const holdBig = serializePacket(big, 0);
  const after = serializePacket(Buffer.from('\x03SELECT 9'), 0);
  const input = Buffer.concat([holdBig, after]);
  assert.ok(holdBig.length > 0xffffff + 8, 'the command spans two frames');
  for (const cut of [3, 1000, 0xffffff + 2, 0xffffff + 5, holdBig.length + 1]) {
    const forwarded = runHeld(input, cut, undefined, () => ({ verdict: 'forward' })).forwarded;
    assert.ok(forwarded.equals(input), `forward, cut ${cut}`);
    assert.deepEqual(runHeld(input, cut, undefined, () => ({ verdict: 'drop' })).forwarded, after, `drop, cut ${cut}`);
  }
});

test('an empty command held and released: the commands behind it keep their place', () => {
  const empty = serializePacket(Buffer.alloc(0), 0);
  const after = serializePacket(Buffer.from('\x03SELECT 9'), 0);
  const input = Buffer.concat([empty, after]);
  for (let cut = 0; cut <= input.length; cut++) {
    const forwarded: Buffer[] = [];
    const ends: number[] = [];
    const reader = new ClientReader({
      nextIsCommand: () => true,
      onCommand: (prefix) => (prefix.length === 0 ? 'hold' : 'forward'),
      onPacketEnd: (length) => ends.push(length),
      forward: (bytes) => forwarded.push(Buffer.from(bytes)),
      onStopped() {},
    });
    reader.push(input.subarray(0, cut));
    reader.push(input.subarray(cut));
    assert.equal(forwarded.length, 0, `cut ${cut}: nothing overtakes the held command`);
    reader.release('forward');
    assert.deepEqual(Buffer.concat(forwarded), input, `cut ${cut}`);
    assert.deepEqual(ends, [0, 9], `cut ${cut}`);
  }
});

test('seeded random commands, cuts and verdicts (holds released either way): exactly the kept commands go out, in order', () => {
  const random = createPrng(0xf4a3e5);
  for (let round = 0; round < 300; round++) {
    const packets: Buffer[] = [];
    // Each command says in its second byte what becomes of it: 0 forward, 1 drop, 2 hold then
    // forward, 3 hold then drop.
    const fates: number[] = [];
    for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
      const fate = Math.floor(random() * 4);
      const length = 2 + Math.floor(random() * (random() < 0.2 ? 3000 : 40));
      const payload = Buffer.alloc(length, 0x61 + (packets.length % 26));
      payload[0] = 0x03;
      payload[1] = fate;
      packets.push(serializePacket(payload, 0));
      fates.push(fate);
    }
    const input = Buffer.concat(packets);
    const expected = Buffer.concat(packets.filter((_, i) => fates[i] === 0 || fates[i] === 2));
    const forwarded: Buffer[] = [];
    const holds: ('forward' | 'drop')[] = [];
    const reader = new ClientReader(
      {
        nextIsCommand: () => true,
        onCommand(prefix): CommandVerdict {
          const fate = prefix[1];
          if (fate === 2 || fate === 3) {
            holds.push(fate === 2 ? 'forward' : 'drop');
            return 'hold';
          }
          return fate === 0 ? 'forward' : 'drop';
        },
        onPacketEnd() {},
        forward: (bytes) => forwarded.push(Buffer.from(bytes)),
        onStopped() {},
      },
      2 + Math.floor(random() * 64),
    );
    // Chunks arrive at random; a held command is released at a random moment in between.
    let at = 0;
    while (at < input.length || holds.length > 0) {
      if (holds.length > 0 && (at >= input.length || random() < 0.5)) reader.release(holds.shift()!);
      else {
        const n = 1 + Math.floor(random() * 200);
        reader.push(input.subarray(at, at + n));
        at += n;
      }
    }
    assert.deepEqual(Buffer.concat(forwarded), expected, `round ${round}`);
  }
});
