// Regression: a spool left by a worker index above a lowered worker count was never drained.
// Now the engine that takes it over (worker k mod count, or the process without workers)
// delivers it at start and removes it; no other engine touches it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type AuditEvent, createLogger, parseConfig } from '@gatehouse/common';
import { openAuditSpool } from '@gatehouse/engine';
import { makeAuditEvent } from '@gatehouse/testing';
import { orphanSpoolDirs, startOrphanSpoolDrain } from '../../../src/service/workers/orphan-spools.js';

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-orphans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function leaveSpool(dir: string, events: readonly AuditEvent[]): Promise<void> {
  const spool = await openAuditSpool({ dir });
  await spool.append(events);
  await spool.close();
}

const log = createLogger({ level: 'silent', name: 'test' });

test('a spool of worker 3 after the count went down to 2 is delivered by worker 1 and removed', async (t) => {
  const root = dataDir(t);
  const config = parseConfig({ version: 'v1', data_dir: root });
  const events = [
    makeAuditEvent('db.session.end', { sid: 'orphan-a' }),
    makeAuditEvent('db.session.end', { sid: 'orphan-b' }),
  ];
  await leaveSpool(join(root, 'audit-spool', 'worker-3'), events);
  await leaveSpool(join(root, 'audit-spool', 'worker-1'), [makeAuditEvent('db.session.end', { sid: 'own' })]);

  // Worker 0 of 2 takes no worker dir here (3 mod 2 = 1); worker 1 of 2 takes worker-3 only.
  assert.deepEqual(
    (await orphanSpoolDirs(config, { index: 0, count: 2 })).filter((d) => !d.own),
    [],
  );
  assert.deepEqual(
    (await orphanSpoolDirs(config, { index: 1, count: 2 })).map((d) => d.dir),
    [join(root, 'audit-spool', 'worker-3')],
  );

  const sent: string[] = [];
  const drain = startOrphanSpoolDrain({
    config,
    index: 1,
    count: 2,
    send: async (batch) => {
      for (const e of batch) sent.push(e.sid);
    },
    log,
  });
  await drain.done;
  await drain.close();
  assert.deepEqual(sent, ['orphan-a', 'orphan-b']);
  assert.equal(existsSync(join(root, 'audit-spool', 'worker-3')), false);
  // The running worker's own spool is not an orphan.
  assert.equal(existsSync(join(root, 'audit-spool', 'worker-1', 'spool.jsonl')), true);
});

test('without workers, the process delivers every worker spool; with workers, worker 0 delivers the process spool', async (t) => {
  const root = dataDir(t);
  const config = parseConfig({ version: 'v1', data_dir: root });
  await leaveSpool(join(root, 'audit-spool', 'worker-0'), [makeAuditEvent('db.session.end', { sid: 'w0' })]);
  await leaveSpool(join(root, 'audit-spool', 'worker-1'), [makeAuditEvent('db.session.end', { sid: 'w1' })]);
  const sent: string[] = [];
  const main = startOrphanSpoolDrain({ config, send: async (b) => void sent.push(...b.map((e) => e.sid)), log });
  await main.done;
  assert.deepEqual(sent.sort(), ['w0', 'w1']);
  assert.equal(existsSync(join(root, 'audit-spool', 'worker-0')), false);

  await leaveSpool(join(root, 'audit-spool'), [makeAuditEvent('db.session.end', { sid: 'process' })]);
  const got: string[] = [];
  const worker0 = startOrphanSpoolDrain({
    config,
    index: 0,
    count: 2,
    send: async (b) => void got.push(...b.map((e) => e.sid)),
    log,
  });
  await worker0.done;
  assert.deepEqual(got, ['process']);
  assert.equal(existsSync(join(root, 'audit-spool', 'spool.jsonl')), false);
});

test('a store that stays down keeps the orphan spool on disk for the next start', async (t) => {
  const root = dataDir(t);
  const config = parseConfig({ version: 'v1', data_dir: root });
  await leaveSpool(join(root, 'audit-spool', 'worker-2'), [makeAuditEvent('db.session.end', { sid: 'kept' })]);
  let tries = 0;
  const drain = startOrphanSpoolDrain({
    config,
    send: async () => {
      tries++;
      throw new Error('store down');
    },
    log,
  });
  const { waitFor } = await import('@gatehouse/testing');
  await waitFor('a delivery attempt', () => (tries > 0 ? true : undefined));
  await drain.close();
  assert.equal(existsSync(join(root, 'audit-spool', 'worker-2', 'spool.jsonl')), true);
});
