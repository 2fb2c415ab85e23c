import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { isGatehouseError } from '@gatehouse/common';
import {
  Capability,
  CLIENT_MYSQL,
  serializeErrPacket,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import {
  chooseGreetingProfile,
  chooseServerVersion,
  DEFAULT_SERVER_VERSION,
} from '../src/front-door/greeting-profile.js';
import { parseLoginReply, readOnePacket } from '../src/front-door/login-reply.js';
import { stubDatabase } from './proxy-kit.js';

test('the announced version: override, then agreement among healthy databases, then the most common, then the default', () => {
  const a = stubDatabase('a', { serverVersion: '8.0.36' });
  const b = stubDatabase('b', { serverVersion: '8.0.36' });
  const c = stubDatabase('c', { serverVersion: '8.4.0' });
  const sick = stubDatabase('d', { serverVersion: '5.7.44', health: 'unhealthy' });
  assert.equal(chooseServerVersion([a, c], '9.9.9-override'), '9.9.9-override');
  assert.equal(chooseServerVersion([a, b, sick], ''), '8.0.36');
  assert.equal(chooseServerVersion([a, b, c], ''), '8.0.36');
  assert.equal(chooseServerVersion([a, c], ''), '8.4.0', 'a tie goes to the greatest version');
  assert.equal(chooseServerVersion([sick], ''), '5.7.44', 'with no healthy database, the others still count');
  assert.equal(chooseServerVersion([stubDatabase('e', { serverVersion: '' })], ''), DEFAULT_SERVER_VERSION);
});

test('the greeting capabilities are what every database has, plus the gateway own, compression among them', () => {
  const mysqlDb = stubDatabase('m', { capabilities: 0xffffffff & ~Capability.QueryAttributes, mariadbCapabilities: 0 });
  const mariaDb = stubDatabase('x', {
    capabilities: 0xffffffff & ~CLIENT_MYSQL & ~Capability.DeprecateEof,
    mariadbCapabilities: 0x1f,
  });
  const both = chooseGreetingProfile([mysqlDb, mariaDb], '');
  assert.equal(both.capabilities & Capability.QueryAttributes, 0);
  assert.equal(both.capabilities & Capability.DeprecateEof, 0);
  assert.equal(
    both.capabilities & Capability.Compress,
    Capability.Compress,
    'the proxy compresses the client leg itself',
  );
  const noCompress = stubDatabase('n', { capabilities: (0xffffffff & ~Capability.Compress) >>> 0 });
  assert.equal(
    chooseGreetingProfile([noCompress], '').capabilities & Capability.Compress,
    Capability.Compress,
    'whatever the database leg has',
  );
  assert.equal(chooseGreetingProfile([], '').capabilities & Capability.Compress, Capability.Compress);
  assert.equal(both.capabilities & Capability.Ssl, Capability.Ssl);
  assert.equal(both.capabilities & CLIENT_MYSQL, CLIENT_MYSQL, 'a MySQL backend means a MySQL-style greeting');
  assert.equal(both.mariaDbCapabilities, 0);
  const onlyMaria = chooseGreetingProfile([mariaDb], '');
  assert.equal(onlyMaria.capabilities & CLIENT_MYSQL, 0);
  assert.equal(onlyMaria.mariaDbCapabilities, 0x1f);
});

test('the engine login reply: one packet is read, the rest stays for the relay', async () => {
  const caps = Capability.Protocol41 | Capability.Transactions;
  const stream = new PassThrough();
  const ok = serializePacket(serializeOkPacket({ statusFlags: 2, warnings: 1 }, caps), 0);
  const after = Buffer.from('command-phase-bytes');
  stream.write(Buffer.concat([ok.subarray(0, 3)]));
  stream.write(Buffer.concat([ok.subarray(3), after]));
  const reply = parseLoginReply(await readOnePacket(stream), caps);
  assert.equal(reply.kind, 'ok');
  assert.equal(reply.kind === 'ok' && reply.fields.warnings, 1);
  assert.deepEqual(stream.read(), after);

  const err = parseLoginReply(serializeErrPacket({ errno: 1045, sqlState: '28000', message: 'denied' }, caps), caps);
  assert.deepEqual(err, { kind: 'err', fields: { errno: 1045, sqlState: '28000', message: 'denied' } });

  const closed = new PassThrough();
  closed.end(Buffer.from([5, 0]));
  await assert.rejects(readOnePacket(closed), (e: unknown) => isGatehouseError(e, 'GH_ERR_PROXY_ENGINE_REPLY'));
});

test('seeded random login replies only ever raise GH_ERR_PROXY_ENGINE_REPLY', () => {
  let seed = 0x9e3779b9;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  let replies = 0;
  for (let i = 0; i < 50_000; i++) {
    const payload = Buffer.alloc(next() % 48);
    for (let j = 0; j < payload.length; j++) payload[j] = next() & 0xff;
    if (payload.length > 0 && i % 3 === 0) payload[0] = i % 2 === 0 ? 0x00 : 0xff;
    const caps = next();
    try {
      parseLoginReply(payload, caps);
      replies++;
    } catch (err) {
      assert.ok(
        isGatehouseError(err, 'GH_ERR_PROXY_ENGINE_REPLY'),
        `unexpected ${String(err)} for ${payload.toString('hex')}`,
      );
    }
  }
  assert.ok(replies > 0, 'some random payloads are valid OK or ERR packets');
});
