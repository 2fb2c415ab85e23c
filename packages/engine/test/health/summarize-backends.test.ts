import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseSchema } from '@gatehouse/common';
import type { BackendCheck } from '../../src/backends/backend-check.js';
import { summarizeBackends } from '../../src/health/health-checker.js';

const db = (extra: Record<string, unknown> = {}) =>
  DatabaseSchema.parse({
    name: 'shop',
    backends: [{ uri: 'a:1' }, { uri: 'b:1' }],
    tls: { mode: 'require' },
    ...extra,
  });

function check(uri: string, fields: Partial<BackendCheck>): BackendCheck {
  return {
    uri,
    role: 'replica',
    health: 'healthy',
    serverVersion: '5.5.5-10.11.19-MariaDB',
    weight: 1,
    capabilities: 0xffff,
    mariadbCapabilities: 0xf,
    ...fields,
  };
}

test("the database takes the primary's version and the capabilities every healthy backend has", () => {
  const info = summarizeBackends(db(), [
    check('a:1', {
      role: 'replica',
      serverVersion: '5.5.5-10.6.1-MariaDB',
      capabilities: 0x0f0f,
      mariadbCapabilities: 0x3,
    }),
    check('b:1', {
      role: 'primary',
      serverVersion: '5.5.5-10.11.19-MariaDB',
      capabilities: 0x00ff,
      mariadbCapabilities: 0x5,
    }),
  ]);
  assert.equal(info.health, 'healthy');
  assert.equal(info.serverVersion, '5.5.5-10.11.19-MariaDB');
  assert.equal(info.capabilities, 0x000f);
  assert.equal(info.mariadbCapabilities, 0x1);
  assert.deepEqual(
    info.backends?.map((b) => [b.uri, b.role]),
    [
      ['a:1', 'replica'],
      ['b:1', 'primary'],
    ],
  );
  assert.equal('capabilities' in (info.backends?.[0] ?? {}), false, 'backends carry no capability bits');
});

test('server_version per database overrides what the backends announce', () => {
  const info = summarizeBackends(db({ server_version: '8.0.36-gatehouse' }), [
    check('a:1', { role: 'primary' }),
    check('b:1', {}),
  ]);
  assert.equal(info.serverVersion, '8.0.36-gatehouse');
});

test('unhealthy when every backend is, with each reason; an unhealthy backend narrows nothing', () => {
  const down = summarizeBackends(db(), [
    check('a:1', { health: 'unhealthy', healthMessage: 'connect ECONNREFUSED', capabilities: 0 }),
    check('b:1', { health: 'unhealthy', healthMessage: 'timed out', capabilities: 0 }),
  ]);
  assert.equal(down.health, 'unhealthy');
  assert.equal(down.healthMessage, 'a:1: connect ECONNREFUSED; b:1: timed out');
  const half = summarizeBackends(db(), [
    check('a:1', { health: 'unhealthy', capabilities: 0 }),
    check('b:1', { capabilities: 0xff }),
  ]);
  assert.equal(half.health, 'healthy');
  assert.equal(half.capabilities, 0xff);
  assert.equal(half.healthMessage, undefined);
});
