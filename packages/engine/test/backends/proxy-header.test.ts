import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseSchema } from '@gatehouse/common';
import { parseProxyHeader } from '@gatehouse/common/proxy-protocol';
import { localProxyHeader, sessionProxyHeader } from '../../src/backends/proxy-header.js';

const db = (version?: 'v1' | 'v2') =>
  DatabaseSchema.parse({
    name: 'shop',
    uri: '10.0.0.5:3306',
    tls: { mode: 'require' },
    ...(version ? { send_proxy_protocol: version } : {}),
  });
const backend = { kind: 'tcp', host: '10.0.0.5', port: 3306 } as const;

test('no header unless the database asks for one', () => {
  assert.equal(sessionProxyHeader(db(), { host: '198.51.100.7', port: 5000 }, backend), undefined);
  assert.equal(localProxyHeader(db()), undefined);
});

test('v1 and v2 carry the client address and port, and parse back', () => {
  assert.equal(
    sessionProxyHeader(db('v1'), { host: '198.51.100.7', port: 5000 }, backend)?.toString('latin1'),
    'PROXY TCP4 198.51.100.7 10.0.0.5 5000 3306\r\n',
  );
  const v2 = sessionProxyHeader(db('v2'), { host: '2001:db8::7', port: 5000 }, backend);
  assert.ok(v2);
  const parsed = parseProxyHeader(v2);
  assert.equal(parsed.status, 'complete');
  if (parsed.status === 'complete' && parsed.header.kind === 'proxied') {
    assert.equal(parsed.header.source.port, 5000);
    assert.match(parsed.header.source.address, /^2001:db8:(0:)*:?7$|^2001:db8::7$/);
  } else assert.fail('expected a proxied v2 header');
});

test('a client without an IP address, and the monitor, send LOCAL / UNKNOWN', () => {
  assert.equal(
    sessionProxyHeader(db('v1'), { host: 'in-process', port: 0 }, backend)?.toString('latin1'),
    'PROXY UNKNOWN\r\n',
  );
  assert.equal(localProxyHeader(db('v2'))?.[12], 0x20);
});
