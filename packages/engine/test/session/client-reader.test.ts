import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializePacket } from '@gatehouse/mysql-protocol';
import { ClientReader, type CommandVerdict } from '../../src/session/relay-client-reader.js';
import { readLeadingStatement } from '../../src/session/leading-statement.js';

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
