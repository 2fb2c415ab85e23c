import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatabaseSchema } from '@gatehouse/common';
import type { ErrFields } from '@gatehouse/mysql-protocol';
import type { BackendInfo } from '@gatehouse/tunnel';
import { closeUnavailableSessions, type RoutedSession, unavailableReason } from '../../src/backends/unavailable.js';

const primary: BackendInfo = {
  uri: 'db1:3306',
  role: 'primary',
  health: 'healthy',
  serverVersion: 'v',
  weight: 1,
  readOnly: false,
};

test('a backend going down or changing role is a reason to close; unknown roles and lag are not', () => {
  assert.match(
    unavailableReason('shop', primary, { ...primary, health: 'unhealthy', healthMessage: 'connect ECONNREFUSED' }) ??
      '',
    /^backend db1:3306 of database 'shop' became unavailable \(connect ECONNREFUSED\)/,
  );
  assert.equal(
    unavailableReason('shop', primary, { ...primary, role: 'replica', readOnly: true }),
    "backend db1:3306 of database 'shop' changed role from primary to replica (read_only=1); reconnect to be routed to the primary",
  );
  assert.equal(unavailableReason('shop', { ...primary, role: 'unknown' }, primary), undefined);
  assert.equal(unavailableReason('shop', primary, { ...primary, health: 'unknown' }), undefined);
  assert.equal(
    unavailableReason('shop', { ...primary, role: 'replica' }, { ...primary, role: 'replica', lagSeconds: 500 }),
    undefined,
  );
});

test('only databases with disconnect_unavailable close, each session once', () => {
  const config = (disconnect: boolean) =>
    new Map([
      [
        'shop',
        DatabaseSchema.parse({
          name: 'shop',
          uri: 'db1:3306',
          tls: { mode: 'require' },
          routing: { disconnect_unavailable: disconnect },
        }),
      ],
    ]);
  const closes: ErrFields[] = [];
  const session: RoutedSession = { dbService: 'shop', backend: primary, close: (err) => closes.push(err) };
  const infos = [
    {
      name: 'shop',
      labels: {},
      health: 'healthy' as const,
      serverVersion: 'v',
      capabilities: 0,
      mariadbCapabilities: 0,
      backends: [{ ...primary, role: 'replica' as const, readOnly: true }],
    },
  ];
  const closed = new WeakSet<RoutedSession>();
  closeUnavailableSessions([session], infos, config(false), closed);
  assert.equal(closes.length, 0);
  closeUnavailableSessions([session], infos, config(true), closed);
  closeUnavailableSessions([session], infos, config(true), closed);
  assert.equal(closes.length, 1);
  assert.equal(closes[0]?.errno, 1927);
  assert.equal(closes[0]?.sqlState, '70100');
});
