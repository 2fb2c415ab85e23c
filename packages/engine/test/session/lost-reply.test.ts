// A reply the response tracker cannot follow passes through unchanged and costs the client one
// command's audit outcome, not its session (lost-reply.ts). The fake server sends what MariaDB
// never would: a column count followed by a packet that is not a column definition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AuditEvent, createAudit, DatabaseSchema } from '@gatehouse/common';
import { Command, serializePacket } from '@gatehouse/mysql-protocol';
import { encodeFakeResponse, type FakeResponse, startFakeMysqlServer, waitFor } from '@gatehouse/testing';
import pino from 'pino';
import { type RelayCounters, startSession, ThreadRegistry } from '../../src/index.js';
import { createTestCluster, makeRole, makeUser } from './cluster-fixture.js';
import { RawClient } from './raw-client.js';
import { appStreamHeader, CLIENT_CAPS, readOnePacket } from './session-fixture.js';
import { createTunnelPair } from './tunnel-pair.js';

const WEIRD: FakeResponse = {
  kind: 'raw',
  payloads: [
    Buffer.from([0x01]), // one column…
    Buffer.from([0x05, 0x41, 0x42]), // …whose definition is not one
    Buffer.from([0x01, 0x78]), // a row "x"
    Buffer.from([0xfe, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]), // the end, as with DEPRECATE_EOF
  ],
};

test('a reply the tracker cannot follow is relayed unchanged, its command audited as lost, and the session goes on', async (t) => {
  const server = await startFakeMysqlServer({
    users: { app: 'fake-secret' },
    queries: (sql) =>
      sql === 'SELECT weird' ? WEIRD : sql === 'SELECT 1' ? { kind: 'rows', columns: ['1'], rows: [['1']] } : undefined,
  });
  t.after(() => server.close());
  const cluster = await createTestCluster(t);
  cluster.setRoles([makeRole('dev', { allow: { db_labels: { env: 'dev' }, db_users: ['app'], db_names: ['*'] } })]);
  cluster.setUsers([makeUser('alice', ['dev'])]);
  const cert = await cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'fake', dbUser: 'app' });
  process.env.GH_TEST_LOST_REPLY_PW = 'fake-secret';
  const database = DatabaseSchema.parse({
    name: 'fake',
    uri: `127.0.0.1:${server.port}`,
    labels: { env: 'dev' },
    tls: { mode: 'disable' },
    auth: { mode: 'password', credentials: { app: { password_env: 'GH_TEST_LOST_REPLY_PW' } } },
  });
  const counters: RelayCounters = { bytesFromClient: 0, bytesToClient: 0, commands: 0, deniedCommands: 0 };
  const handlerErrors: unknown[] = [];
  const pair = createTunnelPair((incoming) =>
    startSession(incoming, {
      engineId: 'engine-test',
      database,
      cluster,
      signer: cluster,
      audit: createAudit({ sink: cluster.auditSink }),
      threads: new ThreadRegistry(),
      counters,
      log: pino({ level: 'silent' }),
      onHandlerError: (err) => handlerErrors.push(err),
    }),
  );
  t.after(() => pair.close());
  const header = appStreamHeader('lost-reply-1', 'fake', cert);
  const stream = await pair.proxy.openStream(header);
  assert.equal((await readOnePacket(stream)).payload[0], 0x00);

  // The odd reply, read as raw bytes: exactly what the server sent.
  const expected = encodeFakeResponse(WEIRD, CLIENT_CAPS, true);
  const received: Buffer[] = [];
  const collect = (chunk: Buffer): void => {
    received.push(chunk);
  };
  stream.on('data', collect);
  stream.resume();
  stream.write(serializePacket(Buffer.concat([Buffer.from([Command.Query]), Buffer.from('SELECT weird')]), 0));
  await waitFor('the odd reply', () => Buffer.concat(received).length >= expected.length || undefined);
  stream.off('data', collect);
  assert.deepEqual(Buffer.concat(received), expected);

  // The next command is tracked again.
  const c = new RawClient(stream, CLIENT_CAPS);
  const next = await c.query('SELECT 1');
  assert.equal(next.outcomes.at(-1)?.kind, 'resultset');
  assert.equal(c.ended, false);

  const events = () => cluster.events.filter((e: AuditEvent) => e.sid === 'lost-reply-1');
  await waitFor('both query events', () => events().filter((e) => e.event === 'db.session.query').length === 2);
  const [weird, one] = events().filter((e) => e.event === 'db.session.query') as Array<Record<string, unknown>>;
  assert.equal(weird?.query, 'SELECT weird');
  const lost = weird?.outcome as { kind: string; errno: number; message: string };
  assert.equal(lost.kind, 'error');
  assert.equal(lost.errno, 2027);
  assert.match(lost.message, /could not follow the database's reply .*column definition/);
  assert.deepEqual(one?.outcome, { kind: 'rows', rows: 1, warnings: 0 });
  assert.equal(
    events().some((e) => e.event === 'db.session.end'),
    false,
  );
  assert.deepEqual(handlerErrors, []);
});
