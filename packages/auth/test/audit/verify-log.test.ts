import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { makeAuditEvent } from '@gatehouse/testing';
import { openJsonlAuditStore, type VerifyReport, verifyAuditLog } from '../../src/index.js';
import { tempDir } from './store-helpers.js';

async function writeLog(t: TestContext, count: number): Promise<{ dir: string; file: string; lines: string[] }> {
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  for (let i = 0; i < count; i++) await store.append([makeAuditEvent('db.session.query', { query: `SELECT ${i}` })]);
  await store.close();
  const [name] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  const file = join(dir, name!);
  return { dir, file, lines: readFileSync(file, 'utf8').trimEnd().split('\n') };
}

function failure(report: VerifyReport): { line: number; reason: string } {
  assert.equal(report.ok, false, 'verify should fail');
  return report.ok ? { line: -1, reason: '' } : { line: report.line, reason: report.reason };
}

const save = (file: string, lines: string[]) => writeFileSync(file, `${lines.join('\n')}\n`);

test('an intact log verifies', async (t) => {
  const { dir } = await writeLog(t, 5);
  const report = await verifyAuditLog(dir);
  assert.deepEqual(report, { ok: true, files: 1, events: 5, notes: [] });
});

test('verify catches an edited line', async (t) => {
  const { dir, file, lines } = await writeLog(t, 5);
  lines[2] = lines[2]!.replace('SELECT 2', 'SELECT 9');
  save(file, lines);
  const f = failure(await verifyAuditLog(dir));
  assert.equal(f.line, 3);
  assert.match(f.reason, /edited/);
});

test('verify catches an edit whose hash was recomputed, at the next line', async (t) => {
  const { dir, file, lines } = await writeLog(t, 5);
  const { serializeRecordForTest } = await import('./reseal.js');
  const record = JSON.parse(lines[1]!);
  record.event.query = 'SELECT 42';
  lines[1] = serializeRecordForTest(record.seq, record.prev, record.event);
  save(file, lines);
  const f = failure(await verifyAuditLog(dir));
  assert.equal(f.line, 3);
  assert.match(f.reason, /prev does not match/);
});

test('verify catches a deleted line', async (t) => {
  const { dir, file, lines } = await writeLog(t, 5);
  lines.splice(1, 1);
  save(file, lines);
  const f = failure(await verifyAuditLog(dir));
  assert.equal(f.line, 2);
  assert.match(f.reason, /seq jumps from 1 to 3: 1 event\(s\) were deleted/);
});

test('verify catches a reordered pair', async (t) => {
  const { dir, file, lines } = await writeLog(t, 5);
  [lines[2], lines[3]] = [lines[3]!, lines[2]!];
  save(file, lines);
  const f = failure(await verifyAuditLog(dir));
  assert.equal(f.line, 3);
  assert.match(f.reason, /reordered/);
});

test('verify catches an inserted copy of a line', async (t) => {
  const { dir, file, lines } = await writeLog(t, 5);
  lines.splice(3, 0, lines[1]!);
  save(file, lines);
  const f = failure(await verifyAuditLog(dir));
  assert.equal(f.line, 4);
  assert.match(f.reason, /seq 2 follows seq 3/);
});

test('verify catches lines deleted from the end, through HEAD.json', async (t) => {
  const { dir, file, lines } = await writeLog(t, 5);
  save(file, lines.slice(0, 3));
  const f = failure(await verifyAuditLog(dir));
  assert.match(f.reason, /records seq 5 but the log ends at seq 3/);
});

test('verify catches a line that is not JSON', async (t) => {
  const { dir, file, lines } = await writeLog(t, 3);
  lines[0] = 'hello';
  save(file, lines);
  const f = failure(await verifyAuditLog(dir));
  assert.equal(f.line, 1);
  assert.match(f.reason, /not a valid audit record/);
});
