import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUDIT_EVENT_TYPES, type AuditEvent } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import { openJsonlAuditStore, type TailRepair } from '../../src/index.js';
import { tempDir } from './store-helpers.js';

function logLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
}

test('concurrent appends from many callers form one chain and share fsyncs', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  t.after(() => store.close());
  const callers = 200;
  const results = await Promise.all(
    Array.from({ length: callers }, (_, i) => store.append([makeAuditEvent('db.session.query', { sid: `s${i}` })])),
  );
  assert.ok(results.every((r) => r.appended === 1 && r.duplicates === 0));
  const stats = store.stats();
  assert.equal(stats.appends, callers);
  assert.equal(stats.events, callers);
  assert.ok(stats.syncs >= 1);
  assert.ok(stats.syncs < callers, `group commit: ${stats.syncs} fsyncs for ${callers} appends`);
  const lines = logLines(dir).map((l) => JSON.parse(l) as { seq: number });
  assert.deepEqual(
    lines.map((l) => l.seq),
    Array.from({ length: callers }, (_, i) => i + 1),
  );
  const report = await store.verify();
  assert.equal(report.ok, true);
  assert.equal(report.events, callers);
});

test('every event type is stored and read back unchanged', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  t.after(() => store.close());
  const events = AUDIT_EVENT_TYPES.map((type) => makeAuditEvent(type));
  await store.append(events);
  assert.deepEqual(await store.search({}), events);
});

test('redelivered uids are skipped, also after a restart', async (t) => {
  const dir = tempDir(t);
  const events = [makeAuditEvent('db.session.start'), makeAuditEvent('db.session.query')];
  let store = await openJsonlAuditStore({ dir });
  assert.deepEqual(await store.append(events), { appended: 2, duplicates: 0 });
  const extra = makeAuditEvent('db.session.end');
  const [again, mixed] = await Promise.all([store.append(events), store.append([events[1]!, extra, extra])]);
  assert.deepEqual(again, { appended: 0, duplicates: 2 });
  assert.deepEqual(mixed, { appended: 1, duplicates: 2 });
  await store.close();
  store = await openJsonlAuditStore({ dir });
  t.after(() => store.close());
  assert.deepEqual(await store.append([...events, extra]), { appended: 0, duplicates: 3 });
  assert.equal(logLines(dir).length, 3);
  assert.equal((await store.verify()).ok, true);
});

test('a torn last line is cut on open, reported, and the chain goes on from the line before', async (t) => {
  const dir = tempDir(t);
  let store = await openJsonlAuditStore({ dir });
  await store.append([makeAuditEvent('db.session.start'), makeAuditEvent('db.session.query')]);
  await store.close();
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  const torn = '{"seq":3,"prev":"ab';
  appendFileSync(join(dir, file!), `${'\0'.repeat(40)}\n${torn}`);
  assert.equal((await store.verify()).ok, false, 'a line of zeros in the middle is damage');
  const repairs: TailRepair[] = [];
  store = await openJsonlAuditStore({ dir, onRepair: (r) => repairs.push(r) });
  t.after(() => store.close());
  assert.deepEqual(repairs, [{ file: file!, bytes: 41 + torn.length, lines: 1 }]);
  assert.deepEqual(store.repair, repairs[0]);
  await store.append([makeAuditEvent('db.session.end')]);
  const report = await store.verify();
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.events, 3);
});

test('an unfinished last line is a note for verify, not a failure, since a writer may be mid-write', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  t.after(() => store.close());
  await store.append([makeAuditEvent('db.session.start')]);
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  appendFileSync(join(dir, file!), '{"seq":2');
  const report = await store.verify();
  assert.equal(report.ok, true);
  assert.match(report.notes.join('\n'), /unfinished line of 8 bytes/);
});

test('an invalid event is refused with its path and nothing is written', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  t.after(() => store.close());
  const bad = { ...makeAuditEvent('db.session.query'), duration_ms: -1 } as AuditEvent;
  await assert.rejects(store.append([makeAuditEvent('db.session.start'), bad]), {
    code: 'GH_ERR_AUDIT_INVALID_EVENT',
    path: 'duration_ms',
  });
  assert.equal(logLines(dir).length, 0);
  await store.close();
  await assert.rejects(store.append([makeAuditEvent('db.session.start')]), { code: 'GH_ERR_AUDIT_CLOSED' });
});

test('files roll over by size and the chain continues across them', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir, maxFileBytes: 2000 });
  t.after(() => store.close());
  for (let i = 0; i < 12; i++) await store.append([makeAuditEvent('db.session.query', { sid: `s${i}` })]);
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  assert.ok(files.length > 2, files.join());
  const report = await store.verify();
  assert.deepEqual([report.ok, report.files, report.events], [true, files.length, 12]);
  assert.equal((await store.search({ session: 's11' })).length, 1);
  writeFileSync(join(dir, files.sort()[1]!), '');
  const broken = await store.verify();
  assert.equal(broken.ok, false);
  assert.match(broken.ok ? '' : broken.reason, /seq jumps/);
});

test('a damaged last line that HEAD.json counts as written is not cut: opening refuses', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  await store.append([makeAuditEvent('db.session.start'), makeAuditEvent('db.session.query')]);
  await store.close();
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  const path = join(dir, file!);
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[1] = lines[1]!.slice(0, 30);
  writeFileSync(path, lines.join('\n'));
  const before = readFileSync(path);
  await assert.rejects(openJsonlAuditStore({ dir }), { code: 'GH_ERR_AUDIT_CORRUPT', message: /before seq 2/ });
  assert.deepEqual(readFileSync(path), before, 'the evidence is left in place');
});

test('a second writer on the same directory is refused; a lock left by a dead process is taken over', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  await assert.rejects(openJsonlAuditStore({ dir }), {
    code: 'GH_ERR_AUDIT_LOCKED',
    message: new RegExp(`process ${process.pid}`),
  });
  await store.close();
  writeFileSync(join(dir, 'LOCK'), '2147483646\n');
  const again = await openJsonlAuditStore({ dir });
  t.after(() => again.close());
  assert.equal(readFileSync(join(dir, 'LOCK'), 'utf8').trim(), String(process.pid));
});

test('validated appends skip the schema check and chain like any other', async (t) => {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  t.after(() => store.close());
  // A caller that says its events are validated is trusted: this one would fail the schema.
  const unchecked = { ...makeAuditEvent('db.session.query'), duration_ms: -1 } as AuditEvent;
  await assert.rejects(store.append([unchecked]), { code: 'GH_ERR_AUDIT_INVALID_EVENT' });
  assert.deepEqual(await store.append([unchecked], { validated: true }), { appended: 1, duplicates: 0 });
  assert.deepEqual(await store.append([makeAuditEvent('db.session.end')], { validated: true }), {
    appended: 1,
    duplicates: 0,
  });
  assert.deepEqual(await store.append([unchecked], { validated: true }), { appended: 0, duplicates: 1 });
  const report = await store.verify();
  assert.ok(report.ok, JSON.stringify(report));
  assert.equal(report.events, 2);
  assert.equal(JSON.parse(logLines(dir)[0]!).event.duration_ms, -1);
});

test('appends from later turns join the group that waits out the commit window', async (t) => {
  const appendInTurns = async (commitWindowMs: number) => {
    const dir = tempDir(t);
    const waits: number[] = [];
    let endWindow = () => {};
    const sleep = (ms: number) => {
      waits.push(ms);
      return new Promise<void>((resolve) => {
        endWindow = resolve;
      });
    };
    const store = await openJsonlAuditStore({ dir, commitWindowMs, sleep });
    t.after(() => store.close());
    await store.append([makeAuditEvent('db.session.start')]);
    // Two appends in two different turns of the event loop, right after a group committed.
    const first = store.append([makeAuditEvent('db.session.query')]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const second = store.append([makeAuditEvent('db.session.end')]);
    const done = Promise.all([first, second]);
    // Poll (bounded) until the store has started waiting, or the group went without waiting.
    for (let turn = 0; turn < 1000 && waits.length === 0 && store.stats().syncs < 3; turn++)
      await new Promise<void>((resolve) => setImmediate(resolve));
    endWindow();
    await done;
    for (const ms of waits) assert.ok(ms > 0 && ms <= commitWindowMs, `waited ${ms} ms`);
    const report = await store.verify();
    assert.ok(report.ok && report.events === 3, JSON.stringify(report));
    return store.stats();
  };
  // A window far longer than two turns: both wait for it and share one write and one sync.
  const windowed = await appendInTurns(60_000);

  assert.equal(windowed.syncs, 2);
  assert.equal(windowed.writes, 2);
  // No window: the first goes alone at the next turn, the second follows it.
  const eager = await appendInTurns(0);
  assert.equal(eager.syncs, 3);
});
