import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { canonicalEventJson, openJsonlAuditStore } from '@gatehouse/auth';
import { type AuditEvent, createAudit } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import { createSpooledAuditSink, openAuditSpool, startSpoolForwarder } from '../../src/index.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const events = (n: number, sid = 's') =>
  Array.from({ length: n }, (_, i) => makeAuditEvent('db.session.query', { sid, query: `SELECT ${i}` }));

test('unacknowledged events survive a restart and are read again; acknowledged ones are not', async (t) => {
  const dir = tempDir(t);
  let spool = await openAuditSpool({ dir });
  const batch = events(5);
  await spool.append(batch.slice(0, 3));
  await spool.append(batch.slice(3));
  const first = await spool.read(2);
  assert.deepEqual(first.events, batch.slice(0, 2));
  await spool.ack(first.end);
  await spool.close();

  spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  const rest = await spool.read(100);
  assert.deepEqual(rest.events, batch.slice(2));
  assert.equal(rest.skipped, 0);
  await spool.ack(rest.end);
  assert.equal(spool.pendingBytes(), 0);
  assert.deepEqual((await spool.read(100)).events, []);
});

test('a torn last line is cut when the spool opens', async (t) => {
  const dir = tempDir(t);
  let spool = await openAuditSpool({ dir });
  await spool.append(events(2));
  await spool.close();
  appendFileSync(join(dir, 'spool.jsonl'), '{"uid":"torn');
  spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  assert.equal(spool.repairedBytes, 12);
  assert.equal(spool.stats().repairedRecords, 1);
  assert.equal((await spool.read(10)).events.length, 2);
});

test('a fully acknowledged spool is emptied past the compaction size, and a stale ack cannot skip new events', async (t) => {
  const dir = tempDir(t);
  let spool = await openAuditSpool({ dir, compactBytes: 1 });
  await spool.append(events(3));
  const r = await spool.read(10);
  await spool.ack(r.end);
  assert.equal(statSync(join(dir, 'spool.jsonl')).size, 0);
  assert.equal(readFileSync(join(dir, 'spool.ack'), 'utf8').trim(), '0');
  await spool.close();
  // A crash between emptying the file and writing the ack leaves an ack past the end.
  writeFileSync(join(dir, 'spool.ack'), `${r.end}\n`);
  spool = await openAuditSpool({ dir });
  await spool.close();
  spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  const fresh = events(2, 'after-compaction');
  await spool.append(fresh);
  assert.deepEqual((await spool.read(10)).events, fresh);
});

test('the forwarder delivers spooled events to the store exactly once across a failure and a restart', async (t) => {
  const spoolDir = tempDir(t);
  const store = await openJsonlAuditStore({ dir: tempDir(t) });
  t.after(() => store.close());
  let spool = await openAuditSpool({ dir: spoolDir });
  let failures = 0;
  let forwarder = startSpoolForwarder({
    spool,
    retryDelayMs: 1,
    send: async (batch) => {
      if (failures++ === 0) throw new Error('tunnel down');
      await store.append(batch);
    },
  });
  const sink = createSpooledAuditSink(spool, { onWritten: () => forwarder.notify() });
  const audit = createAudit({ sink });
  const session = {
    id: 'sess',
    user: 'alice',
    roles: ['dev'],
    dbService: 'db',
    dbUser: 'app',
    dbName: 'app',
    clientAddr: '127.0.0.1:1',
    engineId: 'e1',
    proxyId: 'p1',
    clientAttributes: {},
  };
  for (let i = 0; i < 20; i++) audit.onQuery(session, `SELECT ${i}`, { kind: 'rows', rows: 1 }, 1);
  await sink.flush();
  await forwarder.drained();
  assert.ok(failures >= 2);
  assert.equal((await store.search({})).length, 20);

  // The receiver stores a batch but the engine dies before recording the ack.
  const more = events(4, 'redelivered');
  await spool.append(more);
  await store.append(more);
  await forwarder.stop();
  await spool.close();

  spool = await openAuditSpool({ dir: spoolDir });
  t.after(() => spool.close());
  let resent: readonly AuditEvent[] = [];
  let duplicates = 0;
  forwarder = startSpoolForwarder({
    spool,
    send: async (batch) => {
      resent = batch;
      duplicates += (await store.append(batch)).duplicates;
    },
  });
  t.after(() => forwarder.stop());
  await forwarder.drained();
  assert.deepEqual(resent, more);
  assert.equal(duplicates, more.length);
  assert.equal((await store.search({})).length, 24);
  assert.equal((await store.verify()).ok, true);
});

test('fuzz: a spool file of random bytes opens and reads without throwing', async (t) => {
  let seed = 99;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  for (let round = 0; round < 20; round++) {
    const dir = tempDir(t);
    const bytes = Buffer.alloc(Math.floor(random() * 4096));
    for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.1 ? 0x0a : Math.floor(random() * 256);
    writeFileSync(join(dir, 'spool.jsonl'), bytes);
    const spool = await openAuditSpool({ dir });
    const r = await spool.read(1000);
    assert.ok(r.end <= bytes.length);
    // Every whole line up to `end` was read as an event or skipped: one or the other, exactly once.
    let lines = 0;
    for (let i = 0; i < r.end; i++) if (bytes[i] === 0x0a) lines++;
    assert.equal(r.events.length + r.skipped, lines);
    await spool.ack(r.end);
    assert.equal(spool.pendingBytes(), 0);
    await spool.close();
  }
});

test('batches appended in this process are read back from memory, the same as the file holds', async (t) => {
  const dir = tempDir(t);
  let spool = await openAuditSpool({ dir });
  const a = events(3, 'a');
  const b = events(2, 'b');
  await spool.append(a);
  await spool.append(b);
  const first = await spool.read(4);
  // Whole batches only: the second would pass `max`, so it waits for the next read.
  assert.equal(first.events.length, 3);
  assert.equal(first.events[0], a[0], 'the event objects themselves: no file read, no parse');
  await spool.ack(first.end);
  const second = await spool.read(100);
  assert.equal(second.events[1], b[1]);
  assert.deepEqual(second.events, b);
  await spool.close();

  // Nothing acked past the first batch: a restart reads the second from the file, equal.
  spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  const again = await spool.read(100);
  assert.deepEqual(again.events, b);
  assert.notEqual(again.events[0], b[0]);
  assert.equal(again.end, second.end);
});

for (const [sync, fsyncsFor] of [
  ['none', () => 0],
  ['batch', (batches: number) => batches],
  ['always', (_batches: number, events: number) => events],
] as const) {
  test(`spool_sync ${sync}: ${sync === 'none' ? 'no fdatasync' : sync === 'batch' ? 'one fdatasync per batch' : 'one fdatasync per event'}, and the events are in the file once append() has run`, async (t) => {
    const dir = tempDir(t);
    const spool = await openAuditSpool({ dir, sync });
    t.after(() => spool.close());
    const sizes = [3, 1, 5];
    let total = 0;
    for (const n of sizes) {
      const pending = spool.append(events(n, `${sync}-${n}`));
      total += n;
      if (sync !== 'always') {
        // The write(2) is done before append() returns: another reader of the file sees it.
        assert.equal(readFileSync(join(dir, 'spool.jsonl'), 'utf8').split('\n').length - 1, total);
      }
      await pending;
    }
    const stats = spool.stats();
    assert.equal(stats.events, total);
    assert.equal(stats.fsyncs, fsyncsFor(sizes.length, total));
    assert.equal(stats.writes, sync === 'always' ? total : sizes.length);
    assert.equal((await spool.read(100)).events.length, total);
  });
}

test('the spool writes each event once, as canonical JSON, and the store chains those bytes as they are', async (t) => {
  const dir = tempDir(t);
  const spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  // Keys in a non-canonical order and nested objects: JSON.stringify would keep this order.
  const batch = events(3).map((e, i) => ({ ...e, query: `SELECT "é" -- ${i}`, outcome: { rows: i, kind: 'rows' } }));
  await spool.append(batch as AuditEvent[]);
  const lines = readFileSync(join(dir, 'spool.jsonl'), 'utf8').trimEnd().split('\n');
  assert.deepEqual(
    lines,
    batch.map((e) => canonicalEventJson(e as AuditEvent)),
  );
  const read = await spool.read(100);
  assert.equal(read.fromMemory, true);
  assert.deepEqual(read.canonical, lines);

  // The store given the spool's text writes the same log as the store serializing itself.
  const logs: string[] = [];
  for (const canonical of [read.canonical, undefined]) {
    const storeDir = join(tempDir(t), 'audit');
    const store = await openJsonlAuditStore({ dir: storeDir, commitWindowMs: 0 });
    await store.append(read.events, { validated: true, canonical });
    assert.equal((await store.verify()).ok, true);
    await store.close();
    const file = readdirSync(storeDir).find((f) => f.endsWith('.jsonl'))!;
    logs.push(readFileSync(join(storeDir, file), 'utf8'));
  }
  assert.equal(logs[0], logs[1]);
  assert.equal(logs[0]!.split('\n').length, 4);
});

test('the ack is rewritten in place and read back after a restart', async (t) => {
  const dir = tempDir(t);
  let spool = await openAuditSpool({ dir });
  await spool.append(events(4));
  const first = await spool.read(2);
  await spool.ack(first.end);
  const afterFirst = readFileSync(join(dir, 'spool.ack'), 'utf8');
  assert.equal(Number(afterFirst.trim()), first.end);
  await spool.close();
  spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  assert.equal((await spool.read(100)).events.length, 2);
});

test('an event holding a value canonical JSON cannot hold is written as JSON reads it, not stuck', async (t) => {
  const dir = tempDir(t);
  const spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  const [event] = events(1);
  await spool.append([{ ...event!, duration_ms: Number.NaN } as AuditEvent]);
  const line = readFileSync(join(dir, 'spool.jsonl'), 'utf8').trimEnd();
  assert.equal(JSON.parse(line).duration_ms, null);
  assert.equal(line, canonicalEventJson(JSON.parse(line) as AuditEvent));
});
