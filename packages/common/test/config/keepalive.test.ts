import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyKeepalive, parseConfig } from '../../src/config/index.js';

test('tcp_keepalive is on by default for the proxy and the engine, 60 s idle', () => {
  const config = parseConfig({});
  assert.deepEqual(config.proxy.tcp_keepalive, { enabled: true, idle: 60_000 });
  assert.deepEqual(config.engine.tcp_keepalive, { enabled: true, idle: 60_000 });
});

test('tcp_keepalive can be turned off or given another idle time; unknown keys are refused', () => {
  const config = parseConfig({
    proxy: { tcp_keepalive: { enabled: false } },
    engine: { tcp_keepalive: { idle: '5m' } },
  });
  assert.deepEqual(config.proxy.tcp_keepalive, { enabled: false, idle: 60_000 });
  assert.deepEqual(config.engine.tcp_keepalive, { enabled: true, idle: 300_000 });
  assert.throws(() => parseConfig({ engine: { tcp_keepalive: { interval: '5s' } } }), /tcp_keepalive/);
});

test('applyKeepalive sets SO_KEEPALIVE with the idle time, and nothing when disabled', () => {
  const calls: unknown[][] = [];
  const socket = { setKeepAlive: (...args: unknown[]) => calls.push(args) } as never;
  applyKeepalive(socket, { enabled: true, idle: 30_000 });
  applyKeepalive(socket, { enabled: false, idle: 30_000 });
  applyKeepalive(socket);
  assert.deepEqual(calls, [
    [true, 30_000],
    [true, 60_000],
  ]);
});
