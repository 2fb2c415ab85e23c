import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { Histogram, Registry } from 'prom-client';
import { CellHistogram, LATENCY_BUCKETS, parseExposition } from '../../src/metrics/index.js';

test("CellHistogram exports exactly what prom-client's Histogram does for the same samples", async () => {
  const registry = new Registry();
  const cells = new CellHistogram({
    name: 'cells_seconds',
    help: 'h',
    labelNames: ['db', 'kind'],
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  const reference = new Histogram({
    name: 'ref_seconds',
    help: 'h',
    labelNames: ['db', 'kind'],
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  const random = createSeededRandom(20);
  const kinds = ['query', 'execute'];
  const cached = new Map(kinds.map((k) => [k, cells.labels('app', k)]));
  for (let i = 0; i < 2000; i++) {
    const kind = kinds[i % 2] as string;
    // Log-uniform from 10 µs to 30 s, so every bucket and +Inf get samples; bounds exactly too.
    const seconds =
      i % 97 === 0 ? (LATENCY_BUCKETS[i % LATENCY_BUCKETS.length] as number) : 10 ** (random.next() * 6.5 - 5);
    cached.get(kind)?.observe(seconds);
    reference.labels('app', kind).observe(seconds);
  }
  const samples = parseExposition(await registry.metrics());
  const of = (prefix: string) =>
    samples
      .filter((s) => s.name.startsWith(prefix))
      .map((s) => ({ ...s, name: s.name.slice(prefix.length) }))
      .map((s) => ({ ...s, key: `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}` }))
      .sort((a, b) => a.key.localeCompare(b.key));
  const mine = of('cells_seconds');
  const theirs = of('ref_seconds');
  assert.equal(mine.length, theirs.length);
  assert.ok(mine.length > 0);
  for (let i = 0; i < mine.length; i++) {
    const [a, b] = [mine[i], theirs[i]];
    assert.equal(a?.key, b?.key);
    assert.ok(
      Math.abs((a?.value ?? 0) - (b?.value ?? 0)) < 1e-9,
      `${a?.name} ${JSON.stringify(a?.labels)}: ${a?.value} vs ${b?.value}`,
    );
  }
  assert.match(await registry.metrics(), /^# TYPE cells_seconds histogram$/m);
});

test('CellHistogram refuses a wrong number of label values', () => {
  const cells = new CellHistogram({ name: 'x_seconds', help: 'h', labelNames: ['db'], buckets: [1], registers: [] });
  assert.throws(() => cells.labels('a', 'b'), /takes 1 label values, got 2/);
});
