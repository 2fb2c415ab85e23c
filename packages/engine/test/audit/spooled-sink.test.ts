import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import { type AuditSpool, createSpooledAuditSink, openAuditSpool } from '../../src/index.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sink-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const event = (query: string): AuditEvent => makeAuditEvent('db.session.query', { query });
const linesIn = (dir: string): number => readFileSync(join(dir, 'spool.jsonl'), 'utf8').split('\n').length - 1;

test('events emitted in one turn are written with one write, and afterWrite answers only once they are in the file', async (t) => {
  const dir = tempDir(t);
  const spool = await openAuditSpool({ dir });
  t.after(() => spool.close());
  const sink = createSpooledAuditSink(spool);
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) sink.emit(event(`SELECT ${i}`));
  assert.equal(sink.emitted, 10);
  sink.afterWrite(() => seen.push(linesIn(dir)));
  sink.afterWrite(() => seen.push(linesIn(dir)));
  assert.deepEqual(seen, [], 'nothing is written within the turn that emitted');
  await new Promise<void>((resolve) => sink.afterWrite(resolve));
  assert.deepEqual(seen, [10, 10]);
  assert.equal(spool.stats().writes, 1);

  // Nothing pending: afterWrite answers at once.
  let now = false;
  sink.afterWrite(() => {
    now = true;
  });
  assert.equal(now, true);
});

test('a write that fails keeps the events and the waiting replies, and retries until it works', async (t) => {
  const dir = tempDir(t);
  const real = await openAuditSpool({ dir });
  t.after(() => real.close());
  let failNext = 2;
  const flaky: AuditSpool = {
    ...real,
    append(events) {
      if (failNext > 0) {
        failNext--;
        return Promise.reject(new Error('disk full'));
      }
      return real.append(events);
    },
  };
  const errors: unknown[] = [];
  const sink = createSpooledAuditSink(flaky, { retryDelayMs: 1, onError: (err) => errors.push(err) });
  sink.emit(event('INSERT 1'));
  let released = false;
  sink.afterWrite(() => {
    released = true;
  });
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (errors.length >= 1) resolve();
      else setImmediate(check);
    };
    check();
  });
  assert.equal(released, false, 'no reply while its event is not written');
  await sink.flush();
  assert.equal(released, true);
  assert.equal(errors.length, 2);
  assert.equal(linesIn(dir), 1);
  assert.equal(sink.stats().failures, 2);
});

test('with spool_sync always, a reply waits for the fdatasync of its event', async (t) => {
  const dir = tempDir(t);
  const spool = await openAuditSpool({ dir, sync: 'always' });
  t.after(() => spool.close());
  const sink = createSpooledAuditSink(spool);
  for (let i = 0; i < 3; i++) sink.emit(event(`SELECT ${i}`));
  const fsyncsAtRelease = await new Promise<number>((resolve) => sink.afterWrite(() => resolve(spool.stats().fsyncs)));
  assert.equal(fsyncsAtRelease, 3);
});
