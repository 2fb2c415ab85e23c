// The JSONL store with its writer in a thread: what crosses the thread (canonical lines, event
// objects, errors, repairs, group timings) arrives as the in-thread store would give it. The
// shared contract (order, dedupe, search, tamper evidence) runs in audit-contract.test.ts.
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type AuditEvent, isGatehouseError } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import {
  auditWriterThread,
  canonicalEventJson,
  openJsonlAuditStore,
  openThreadedJsonlAuditStore,
  type TailRepair,
} from '../../src/index.js';
import { tempDir } from './store-helpers.js';

function logEvents(dir: string): string[] {
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  return readFileSync(join(dir, file!), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.slice(line.indexOf('"event":') + '"event":'.length, -1));
}

test('canonical lines handed over are chained as they are, and redelivered uids are skipped', async (t) => {
  const dir = tempDir(t);
  const groups: number[] = [];
  const store = await openThreadedJsonlAuditStore({ dir, onGroupWritten: (s) => groups.push(s) });
  t.after(() => store.close());
  const events = [makeAuditEvent('db.session.start'), makeAuditEvent('db.session.query', { query: 'SELECT "x"' })];
  const canonical = events.map((e) => canonicalEventJson(e));
  assert.deepEqual(await store.append(events, { validated: true, canonical }), { appended: 2, duplicates: 0 });
  assert.deepEqual(await store.append(events, { validated: true, canonical }), { appended: 0, duplicates: 2 });
  assert.deepEqual(logEvents(dir), canonical);
  assert.deepEqual(await store.search({}), events);
  assert.equal((await store.verify()).ok, true);
  assert.ok(groups.length >= 1 && groups.every((s) => s >= 0), 'each group write is timed for the metrics');
});

test('event objects are validated in the thread; a bad one is refused with its code and nothing is stored', async (t) => {
  const dir = tempDir(t);
  const store = await openThreadedJsonlAuditStore({ dir });
  t.after(() => store.close());
  const good = makeAuditEvent('db.session.end');
  const bad = { ...makeAuditEvent('db.session.query'), query: 42 } as unknown as AuditEvent;
  await assert.rejects(store.append([good, bad]), (err) => isGatehouseError(err, 'GH_ERR_AUDIT_INVALID_EVENT'));
  assert.deepEqual(await store.search({}), []);
  assert.deepEqual(await store.append([good]), { appended: 1, duplicates: 0 });
  assert.deepEqual(await store.search({}), [good]);
});

test('the writer thread holds the directory lock: a second writer is refused, and a closed store refuses appends', async (t) => {
  const dir = tempDir(t);
  const store = await openThreadedJsonlAuditStore({ dir });
  await assert.rejects(openThreadedJsonlAuditStore({ dir }), (err) => isGatehouseError(err, 'GH_ERR_AUDIT_LOCKED'));
  await assert.rejects(openJsonlAuditStore({ dir }), (err) => isGatehouseError(err, 'GH_ERR_AUDIT_LOCKED'));
  const pending = store.append([makeAuditEvent('db.session.start')]);
  await store.close();
  assert.deepEqual(await pending, { appended: 1, duplicates: 0 }, 'an append in flight is written before close');
  await assert.rejects(store.append([makeAuditEvent('db.session.end')]), (err) =>
    isGatehouseError(err, 'GH_ERR_AUDIT_CLOSED'),
  );
  const again = await openJsonlAuditStore({ dir });
  t.after(() => again.close());
  assert.equal((await again.verify()).events, 1, 'the lock was released with the thread');
});

test('a torn tail is repaired by the thread and reported to the opener', async (t) => {
  const dir = tempDir(t);
  const first = await openJsonlAuditStore({ dir });
  await first.append([makeAuditEvent('db.session.start')]);
  await first.close();
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  appendFileSync(join(dir, file!), '{"seq":2,"prev":"ab');
  const repairs: TailRepair[] = [];
  const store = await openThreadedJsonlAuditStore({ dir, onRepair: (r) => repairs.push(r) });
  t.after(() => store.close());
  assert.deepEqual(repairs, [{ file: file!, bytes: 19, lines: 0 }]);
  await store.append([makeAuditEvent('db.session.end')]);
  const report = await store.verify();
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.events, 2);
});

test("audit.writer_thread 'auto' uses the thread only with more than two cores", () => {
  assert.equal(auditWriterThread('auto', 2), false);
  assert.equal(auditWriterThread('auto', 3), true);
  assert.equal(auditWriterThread('on', 1), true);
  assert.equal(auditWriterThread('off', 16), false);
});
