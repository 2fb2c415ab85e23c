import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import { makeAuditEvent } from '@gatehouse/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { registerSpoolMetrics } from '../../src/audit/spool-metrics.js';
import { openAuditSpool, startSpoolPipeline } from '../../src/index.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-spool-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** name → value of the label-less samples in an exposition. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(gatehouse_[a-z_]+) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

test('the spool metrics count writes, fsyncs, deliveries and a failed delivery, read at scrape', async (t) => {
  const spool = await openAuditSpool({ dir: tempDir(t), sync: 'batch' });
  const stored: AuditEvent[] = [];
  let sends = 0;
  const pipeline = startSpoolPipeline({
    spool,
    send: async (events) => {
      sends++;
      if (sends === 1) throw new Error('the store is away');
      stored.push(...events);
    },
    log: pino({ level: 'silent' }),
    drainOnCloseMs: 30_000,
  });
  const registry = new Registry();
  registerSpoolMetrics(registry, pipeline.metrics);

  for (let i = 0; i < 4; i++) pipeline.sink.emit(makeAuditEvent('db.session.query', { query: `SELECT ${i}` }));
  await new Promise<void>((resolve) => pipeline.sink.afterWrite(resolve));
  const waiting = samples(await registry.metrics());
  assert.equal(waiting.get('gatehouse_engine_audit_spool_events_total'), 4);
  assert.equal(waiting.get('gatehouse_engine_audit_spool_writes_total'), 1);
  assert.equal(waiting.get('gatehouse_engine_audit_spool_fsyncs_total'), 1, 'spool_sync batch: one fsync per write');
  assert.ok((waiting.get('gatehouse_engine_audit_spool_bytes') ?? 0) > 0, 'written, not yet acknowledged');

  // close() waits for the store to take what is spooled: the first send fails, the retry lands.
  await pipeline.close();
  await spool.close();
  assert.equal(stored.length, 4);
  const after = samples(await registry.metrics());
  assert.equal(after.get('gatehouse_engine_audit_spool_delivered_total'), 4);
  assert.equal(after.get('gatehouse_engine_audit_spool_delivery_failures_total'), 1);
  assert.equal(after.get('gatehouse_engine_audit_spool_bytes'), 0);
  assert.equal(after.get('gatehouse_engine_audit_spool_oldest_age_seconds'), 0, 'nothing waits');
  assert.equal(after.get('gatehouse_engine_audit_spool_repaired_records_total'), 0);
  assert.equal(after.get('gatehouse_engine_audit_spool_skipped_lines_total'), 0);
});

test('without a spool the metrics are exported at 0', async () => {
  const registry = new Registry();
  registerSpoolMetrics(registry, () => undefined);
  const values = samples(await registry.metrics());
  assert.equal(values.size, 9);
  for (const [name, value] of values) assert.equal(value, 0, name);
});
