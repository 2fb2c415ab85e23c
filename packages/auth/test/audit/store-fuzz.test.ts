import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isGatehouseError } from '@gatehouse/common';
import { createSeededRandom, makeAuditEvent } from '@gatehouse/testing';
import { openJsonlAuditStore, verifyAuditLog } from '../../src/index.js';
import { tempDir } from './store-helpers.js';

test('fuzz: damaged log files make verify fail and open refuse or repair, never anything else', async (t) => {
  const random = createSeededRandom(7).next;
  const dir = tempDir(t);
  const store = await openJsonlAuditStore({ dir });
  for (let i = 0; i < 4; i++) await store.append([makeAuditEvent('db.session.query', { query: `SELECT ${i}` })]);
  await store.close();
  const name = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
  const original = readFileSync(join(dir, name));
  for (let round = 0; round < 60; round++) {
    const damaged = Buffer.from(original);
    for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
      damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
    }
    const cut = random() < 0.3 ? Math.floor(random() * damaged.length) : damaged.length;
    writeFileSync(join(dir, name), damaged.subarray(0, cut));
    const report = await verifyAuditLog(dir);
    if (report.ok) {
      // Only a cut at a line boundary (or inside the last line) with untouched lines can pass,
      // and HEAD.json still says 4 events, so nothing short of all 4 is intact.
      assert.equal(report.events, 4);
    }
    try {
      const reopened = await openJsonlAuditStore({ dir });
      await reopened.close();
    } catch (err) {
      assert.ok(isGatehouseError(err, 'GH_ERR_AUDIT_CORRUPT'), String(err));
    }
    writeFileSync(join(dir, name), original);
  }
});
