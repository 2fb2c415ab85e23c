import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricsRegistry, sumSamples } from '@gatehouse/common/metrics';
import { Command, type ResponseOutcome, ServerError } from '@gatehouse/mysql-protocol';
import { EngineMetrics } from '../../src/diag/metrics.js';
import { SessionObserver } from '../../src/session/session-observer.js';

function setup(commandLatency = true) {
  const registry = createMetricsRegistry({ processMetrics: false });
  const metrics = new EngineMetrics({
    registry,
    engineId: 'e1',
    databases: () => [],
    tunnelConnected: () => undefined,
    commandLatency,
  });
  return { registry, observer: new SessionObserver(metrics.childrenFor('app')) };
}

const done = (kind: 'ok' | 'no-reply'): ResponseOutcome =>
  kind === 'ok'
    ? {
        kind,
        command: { command: Command.Query },
        done: true,
        endOffset: 0,
        affectedRows: 0,
        lastInsertId: 0,
        statusFlags: 0,
        warnings: 0,
        info: '',
      }
    : { kind, command: { command: Command.StmtClose }, done: true, endOffset: 0 };

test('pipelined commands are timed first in first out, by kind; unanswered commands are not timed', async () => {
  const { registry, observer } = setup();
  observer.onForwarded('query', 1000);
  observer.onForwarded('stmt_prepare', 1001);
  observer.onForwarded('stmt_close', 1002);
  observer.onForwarded('stmt_execute', 1003);
  // A multi-result reply: only the outcome that ends it stops the clock.
  observer.onOutcome({ ...done('ok'), done: false }, 1004);
  observer.onOutcome(done('ok'), 1005); // query: 5 ms
  observer.onOutcome(done('ok'), 1011); // prepare: 10 ms
  observer.onOutcome(done('no-reply'), 1011); // stmt_close
  observer.onOutcome(done('ok'), 1023); // execute: 20 ms
  const text = await registry.metrics();
  const count = (kind: string) => sumSamples(text, 'gatehouse_engine_command_seconds_count', { db: 'app', kind });
  const sum = (kind: string) => sumSamples(text, 'gatehouse_engine_command_seconds_sum', { db: 'app', kind });
  assert.deepEqual([count('query'), count('prepare'), count('execute'), count('other')], [1, 1, 1, 0]);
  assert.ok(Math.abs(sum('query') - 0.005) < 1e-9);
  assert.ok(Math.abs(sum('prepare') - 0.01) < 1e-9);
  assert.ok(Math.abs(sum('execute') - 0.02) < 1e-9);
  assert.equal(
    sumSamples(text, 'gatehouse_engine_command_seconds_bucket', { db: 'app', kind: 'query', le: '0.005' }),
    1,
  );
  assert.equal(
    sumSamples(text, 'gatehouse_engine_command_seconds_bucket', { db: 'app', kind: 'query', le: '0.0025' }),
    0,
  );
});

test('ERR replies count by SQLSTATE class; denials count by reason', async () => {
  const { registry, observer } = setup();
  observer.onForwarded('query', 0);
  observer.onOutcome(
    {
      kind: 'err',
      command: { command: Command.Query },
      done: true,
      endOffset: 0,
      errno: 1146,
      sqlState: '42S02',
      message: 'x',
    },
    1,
  );
  observer.onOutcome(
    { kind: 'err', command: undefined, done: true, endOffset: 0, errno: 1927, sqlState: '', message: 'killed' },
    2,
  );
  observer.onDenied({ ...ServerError.DbAccessDenied, message: 'no' });
  observer.onDenied({ ...ServerError.KillDenied, message: 'no' });
  observer.onDenied({ ...ServerError.KillDenied, message: 'no' });
  const text = await registry.metrics();
  assert.equal(sumSamples(text, 'gatehouse_engine_err_packets_total', { db: 'app', class: '42' }), 1);
  assert.equal(sumSamples(text, 'gatehouse_engine_err_packets_total', { db: 'app', class: 'none' }), 1);
  assert.equal(sumSamples(text, 'gatehouse_engine_denials_total', { db: 'app', reason: 'role' }), 1);
  assert.equal(sumSamples(text, 'gatehouse_engine_denials_total', { db: 'app', reason: 'policy' }), 2);
  // The unsolicited ERR (no command) did not take the query's place in the queue.
  assert.equal(sumSamples(text, 'gatehouse_engine_command_seconds_count', { db: 'app', kind: 'query' }), 1);
});

test('with command latency off nothing is timed, the rest still counts', async () => {
  const { registry, observer } = setup(false);
  observer.onForwarded('query', 0);
  observer.onOutcome(done('ok'), 1);
  const text = await registry.metrics();
  assert.equal(sumSamples(text, 'gatehouse_engine_command_seconds_count'), 0);
  assert.match(text, /^# TYPE gatehouse_engine_command_seconds histogram$/m);
});
