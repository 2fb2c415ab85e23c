import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSysbenchOutput, SysbenchOutputError } from '../src/measures/sysbench-output.js';

// The shape of sysbench 1.0.20's report for `oltp_point_select run`.
const REPORT = `sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)

Running the test with following options:
Number of threads: 16

SQL statistics:
    queries performed:
        read:                            129006
        write:                           0
        other:                           0
        total:                           129006
    transactions:                        129006 (64480.12 per sec.)
    queries:                             129006 (64480.12 per sec.)
    ignored errors:                      0      (0.00 per sec.)
    reconnects:                          0      (0.00 per sec.)

General statistics:
    total time:                          2.0003s
    total number of events:              129006

Latency (ms):
         min:                                    0.05
         avg:                                    0.25
         max:                                   11.37
         95th percentile:                        0.40
         sum:                                31893.88
`;

test('parseSysbenchOutput reads qps, tps, p95, avg and the error counters', () => {
  assert.deepEqual(parseSysbenchOutput(REPORT), {
    qps: 64480.12,
    tps: 64480.12,
    p95Ms: 0.4,
    avgMs: 0.25,
    ignoredErrors: 0,
    reconnects: 0,
  });
});

test('parseSysbenchOutput reads a read_only report where queries and transactions differ', () => {
  const text = REPORT.replace(
    'transactions:                        129006 (64480.12',
    'transactions:                        8062 (4030.01',
  );
  const figures = parseSysbenchOutput(text);
  assert.equal(figures.tps, 4030.01);
  assert.equal(figures.qps, 64480.12);
});

test('parseSysbenchOutput names what is missing from a failed run', () => {
  assert.throws(
    () => parseSysbenchOutput('FATAL: unable to connect to MySQL server'),
    (err: unknown) => {
      assert.ok(err instanceof SysbenchOutputError);
      assert.match(err.message, /queries per second/);
      return true;
    },
  );
  const noPercentile = REPORT.replace(/^.*95th percentile.*$/m, '');
  assert.throws(() => parseSysbenchOutput(noPercentile), /95th percentile/);
});

test('parseSysbenchOutput on seeded random cuts and bytes only ever throws SysbenchOutputError', () => {
  let seed = 0x5eed;
  const next = (): number => {
    // xorshift32: small, seeded, no dependency
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  let parsed = 0;
  for (let i = 0; i < 2_000; i++) {
    const start = Math.floor(next() * REPORT.length);
    const end = start + Math.floor(next() * (REPORT.length - start + 1));
    let text = REPORT.slice(start, end);
    if (next() < 0.5) {
      const at = Math.floor(next() * (text.length + 1));
      text = text.slice(0, at) + String.fromCharCode(Math.floor(next() * 128)) + text.slice(at);
    }
    try {
      const f = parseSysbenchOutput(text);
      assert.ok(Object.values(f).every(Number.isFinite));
      parsed++;
    } catch (err) {
      assert.ok(err instanceof SysbenchOutputError, `unexpected ${String(err)}`);
    }
  }
  // The whole report is among the cuts often enough that some must parse.
  assert.ok(parsed > 0);
});
