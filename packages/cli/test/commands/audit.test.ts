import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { openJsonlAuditStore, resolveAuditDir } from '@gatehouse/auth';
import type { AuditEvent } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import { runGatectl } from '../gatectl-child.js';

async function dataDirWithEvents(t: TestContext): Promise<{ dataDir: string; events: AuditEvent[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-audit-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const recent = Date.now() - 60_000;
  const events = [
    makeAuditEvent('db.session.start', { time: new Date(recent).toISOString(), user: 'alice', sid: 'sa' }),
    makeAuditEvent('db.session.query', {
      time: new Date(recent + 1000).toISOString(),
      user: 'alice',
      sid: 'sa',
      query: 'UPDATE accounts SET\n balance = 0',
      outcome: { kind: 'ok', affected_rows: 3 },
    }),
    makeAuditEvent('db.session.query', {
      time: new Date(recent - 3 * 3_600_000).toISOString(),
      user: 'bob',
      sid: 'sb',
      db_service: 'billing',
      query: 'SELECT nope',
      code: 'GDB02W',
      outcome: { kind: 'error', errno: 1054, sqlstate: '42S22', message: "Unknown column 'nope'" },
    }),
  ];
  const store = await openJsonlAuditStore({ dir: resolveAuditDir(dataDir) });
  await store.append(events);
  await store.close();
  return { dataDir, events };
}

test('gatectl audit search prints a table and filters', async (t) => {
  const { dataDir } = await dataDirWithEvents(t);
  const all = await runGatectl(['audit', 'search', '--data-dir', dataDir]);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^TIME\s+TYPE\s+USER\s+DB\s+SESSION\s+SUMMARY$/);
  assert.equal(lines.length, 4);
  assert.match(all.stdout, /UPDATE accounts SET balance = 0 → ok, 3 affected/);
  assert.match(all.stdout, /ERR 1054: Unknown column 'nope'/);

  const recent = await runGatectl(
    ['audit', 'search', '--since', '1h', '--user', 'alice', '--type', 'db.session.query'],
    {
      env: { GATEHOUSE_DATA_DIR: dataDir },
    },
  );
  assert.equal(recent.code, 0, recent.stderr);
  assert.equal(recent.stdout.trimEnd().split('\n').length, 2);
  assert.match(recent.stdout, /db\.session\.query\s+alice/);
});

test('gatectl audit search --format json prints the events as a JSON array', async (t) => {
  const { dataDir, events } = await dataDirWithEvents(t);
  const r = await runGatectl(['audit', 'search', '--data-dir', dataDir, '--format', 'json', '--db', 'billing']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [events[2]]);
  const q = await runGatectl([
    'audit',
    'search',
    '--data-dir',
    dataDir,
    '--format',
    'json',
    '--query',
    'ACCOUNTS',
    '--session',
    'sa',
  ]);
  assert.deepEqual(JSON.parse(q.stdout), [events[1]]);
  const limited = await runGatectl([
    'audit',
    'search',
    '--data-dir',
    dataDir,
    '--format',
    'json',
    '--limit',
    '1',
    '--order',
    'desc',
  ]);
  assert.deepEqual(JSON.parse(limited.stdout), [events[2]]);
});

test('gatectl audit search rejects bad arguments with exit 2', async (t) => {
  const { dataDir } = await dataDirWithEvents(t);
  for (const args of [
    ['--limit', 'many'],
    ['--since', 'yesterday'],
    ['--format', 'xml'],
    ['--order', 'up'],
    ['--bogus'],
  ]) {
    const r = await runGatectl(['audit', 'search', '--data-dir', dataDir, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^gatectl: /);
  }
});

test('gatectl audit verify exits 0 when intact and 1 with the reason when tampered', async (t) => {
  const { dataDir } = await dataDirWithEvents(t);
  const ok = await runGatectl(['audit', 'verify', '--data-dir', dataDir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /audit log intact: 3 events in 1 files/);

  const dir = resolveAuditDir(dataDir);
  const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.jsonl'))!);
  writeFileSync(file, readFileSync(file, 'utf8').replace('balance = 0', 'balance = 1'));
  const bad = await runGatectl(['audit', 'verify', '--data-dir', dataDir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /audit log damaged: audit-\d{4}-\d{2}-\d{2}-0000\.jsonl line 2: .*edited/);
  const json = await runGatectl(['audit', 'verify', '--data-dir', dataDir, '--format', 'json']);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).line, 2);
});

test('gatectl audit verify fails when there is no audit log at the data dir', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-empty-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const r = await runGatectl(['audit', 'verify', '--data-dir', dataDir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no audit log at /);
});
