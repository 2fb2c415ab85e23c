import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import type { DatabaseInfo } from '@gatehouse/tunnel';
import { registerBackendMetrics, registerHookMetrics } from '../../src/diag/backend-metrics.js';

const shop: DatabaseInfo = {
  name: 'shop',
  labels: {},
  health: 'healthy',
  serverVersion: 'v',
  capabilities: 0,
  mariadbCapabilities: 0,
  backends: [
    { uri: 'db1:3306', role: 'primary', health: 'healthy', serverVersion: 'v', weight: 1 },
    { uri: 'db2:3306', role: 'replica', health: 'unhealthy', serverVersion: 'v', weight: 1, lagSeconds: 7 },
  ],
};

test('per-backend gauges: up, primary, open sessions and lag, labelled by db, backend and role', async () => {
  const registry = createMetricsRegistry();
  registerBackendMetrics(registry, { databases: () => [shop], sessions: () => new Map([['shop\u0000db1:3306', 3]]) });
  const text = await registry.metrics();
  assert.match(text, /^gatehouse_engine_backend_up\{db="shop",backend="db1:3306",role="primary"\} 1$/m);
  assert.match(text, /^gatehouse_engine_backend_up\{db="shop",backend="db2:3306",role="replica"\} 0$/m);
  assert.match(text, /^gatehouse_engine_backend_primary\{db="shop",backend="db1:3306",role="primary"\} 1$/m);
  assert.match(text, /^gatehouse_engine_backend_sessions_open\{db="shop",backend="db1:3306",role="primary"\} 3$/m);
  assert.match(text, /^gatehouse_engine_backend_sessions_open\{db="shop",backend="db2:3306",role="replica"\} 0$/m);
  assert.match(
    text,
    /^gatehouse_engine_backend_replication_lag_seconds\{db="shop",backend="db2:3306",role="replica"\} 7$/m,
  );
  assert.doesNotMatch(text, /replication_lag_seconds\{[^}]*db1/);
});

test('per-backend gauges follow the monitor: a backend gone from its view is gone from the scrape', async () => {
  const registry = createMetricsRegistry();
  let view: readonly DatabaseInfo[] = [shop];
  registerBackendMetrics(registry, { databases: () => view, sessions: () => new Map() });
  assert.match(await registry.metrics(), /backend="db2:3306"/);
  view = [{ ...shop, backends: [shop.backends![0]!] }];
  assert.doesNotMatch(await registry.metrics(), /backend="db2:3306"/);
});

test('hook counters and hook time', async () => {
  const registry = createMetricsRegistry();
  const counters = { calls: 9, denied: 2, failed: 1, timedOut: 1 };
  const hooks: Parameters<typeof registerHookMetrics>[1] = { counters, observeTime: undefined };
  registerHookMetrics(registry, hooks);
  // The runner reports each call's time through the observer the metrics installed.
  assert.ok(hooks.observeTime);
  hooks.observeTime('onConnect', 0.003);
  hooks.observeTime('onConnect', 0.2);
  hooks.observeTime('onHandshakeResponse', 0.00004);
  let text = await registry.metrics();
  assert.match(text, /^gatehouse_engine_hook_calls_total 9$/m);
  assert.match(text, /^gatehouse_engine_hook_outcomes_total\{outcome="denied"\} 2$/m);
  assert.match(text, /^gatehouse_engine_hook_outcomes_total\{outcome="timeout"\} 1$/m);
  counters.calls++;
  text = await registry.metrics();
  assert.match(text, /^gatehouse_engine_hook_calls_total 10$/m);
  assert.match(text, /^gatehouse_engine_hook_seconds_count\{hook="onConnect"\} 2$/m);
  assert.match(text, /^gatehouse_engine_hook_seconds_bucket\{le="0.005",hook="onConnect"\} 1$/m);
  assert.match(text, /^gatehouse_engine_hook_seconds_bucket\{le="0.00005",hook="onHandshakeResponse"\} 1$/m);
});
