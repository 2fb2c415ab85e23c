import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import {
  Command,
  parseErrPacket,
  parseOkPacket,
  serializeChangeUser,
  serializeStmtPrepare,
} from '@gatehouse/mysql-protocol';
import { waitFor } from '@gatehouse/testing';
import { makeRole, makeUser } from './cluster-fixture.js';
import { RawClient, type Reply } from './raw-client.js';
import { CLIENT_CAPS, createFixture, type Fixture } from './session-fixture.js';

const CAPS = CLIENT_CAPS;

type EventView = Record<string, unknown> & { readonly outcome: Record<string, unknown> };

function eventsOf(f: Fixture, sid: string, type: string): EventView[] {
  return f.cluster.events.filter((e: AuditEvent) => e.sid === sid && e.event === type) as unknown as EventView[];
}

function errOf(reply: Reply) {
  assert.equal(reply.packets.length, 1);
  // The answer to the client's packet 0, as the server's own reply would be.
  assert.equal(reply.sequenceIds[0], 1);
  const err = parseErrPacket(reply.packets[0]!, CAPS);
  assert.equal(err.kind, 'err');
  return err as Extract<typeof err, { kind: 'err' }>;
}

/** A text result's cells, read loosely: enough to see a value in a one-row result. */
function hasCell(reply: Reply, value: string): boolean {
  return reply.packets.some((p) => p.includes(Buffer.from(value)));
}

/** What a client that holds no password sends: a scramble of nothing, which the gateway ignores. */
function changeUser(user: string, schema: string): Buffer {
  return serializeChangeUser(
    {
      user,
      schema,
      authResponse: Buffer.alloc(20, 7),
      characterSet: 45,
      authPlugin: 'mysql_native_password',
    },
    { capabilities: CAPS },
  );
}

test('COM_CHANGE_USER through the engine against a real MariaDB', async (t) => {
  const f = await createFixture(t);
  f.cluster.setRoles([
    makeRole('dev', {
      allow: { db_labels: { env: 'dev' }, db_users: [f.dbUser, f.otherDbUser], db_names: [f.schema] },
    }),
  ]);
  f.cluster.setUsers([makeUser('alice', ['dev'])]);
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });

  await t.test('an allowed db user: OK with sequence id 1, a fresh session as that user, audited', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CAPS);
    s.stream.resume();
    await c.query("SET @kept = 'kept-before-change'");
    await c.query('CREATE TEMPORARY TABLE tmp_change (id INT)');
    const prepared = await c.send(serializeStmtPrepare('SELECT 1'));
    assert.equal(prepared.outcomes[0]?.kind, 'prepared');
    const before = await c.query('SELECT CONNECTION_ID()');
    assert.equal(before.outcomes.at(-1)?.kind, 'resultset');

    const change = await c.send(changeUser(f.otherDbUser, f.schema));
    assert.equal(change.packets.length, 1);
    assert.equal(change.sequenceIds[0], 1);
    assert.equal(change.packets[0]![0], 0x00);
    parseOkPacket(change.packets[0]!, CAPS);

    const who = await c.query('SELECT CURRENT_USER(), DATABASE(), @kept');
    assert.ok(hasCell(who, `${f.otherDbUser}@%`), 'CURRENT_USER() is the new db user');
    assert.ok(hasCell(who, f.schema), 'DATABASE() is the requested schema');
    // A marker no random name can hold: the variable is gone.
    assert.ok(!hasCell(who, 'kept-before-change'), 'the user variable is gone');
    const tmp = await c.query('SELECT * FROM tmp_change');
    assert.equal(tmp.outcomes[0]?.kind, 'err');
    assert.equal((tmp.outcomes[0] as { errno: number }).errno, 1146);

    const sid = s.stream.header.sessionId;
    const [event] = eventsOf(f, sid, 'db.session.user_change');
    assert.equal(event?.old_db_user, f.dbUser);
    assert.equal(event?.new_db_user, f.otherDbUser);
    assert.equal(event?.new_db_name, f.schema);
    assert.equal(event?.db_user, f.dbUser);
    assert.equal(event?.outcome.kind, 'ok');
    assert.equal(event?.code, 'GDB05I');
    // Later events carry the new db user.
    const queries = eventsOf(f, sid, 'db.session.query');
    assert.equal(queries.at(-1)?.db_user, f.otherDbUser);

    // An empty schema means none, as on the server.
    const noSchema = await c.send(changeUser(f.dbUser, ''));
    assert.equal(noSchema.packets[0]![0], 0x00);
    const back = await c.query('SELECT CURRENT_USER(), DATABASE()');
    assert.ok(hasCell(back, `${f.dbUser}@%`));
    assert.ok(!hasCell(back, f.schema), 'no schema after a change that names none');
  });

  await t.test('a db user the roles do not allow: ERR 1045 naming the role, and the session goes on', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CAPS);
    s.stream.resume();
    await c.query("SET @kept = 'kept-after-refusal'");
    const err = errOf(await c.send(changeUser('root', f.schema)));
    assert.equal(err.errno, 1045);
    assert.equal(err.sqlState, '28000');
    assert.match(err.message, /role 'dev' does not allow db user 'root'/);
    const schemaErr = errOf(await c.send(changeUser(f.otherDbUser, `${f.schema}_secret`)));
    assert.equal(schemaErr.errno, 1045);
    assert.match(schemaErr.message, /role 'dev' does not allow db name/);
    // Still the old db user, with its session state.
    const who = await c.query('SELECT CURRENT_USER(), @kept');
    assert.ok(hasCell(who, `${f.dbUser}@%`));
    assert.ok(hasCell(who, 'kept-after-refusal'));
    // A third failure, and then the server's rule (MDEV-3915): no more changes on this connection.
    assert.equal(errOf(await c.send(changeUser('root', ''))).errno, 1045);
    const limited = errOf(await c.send(changeUser(f.otherDbUser, f.schema)));
    assert.equal(limited.errno, 1047);
    assert.equal(limited.sqlState, '08S01');
    assert.equal(limited.message, 'Unknown command');
    const events = eventsOf(f, s.stream.header.sessionId, 'db.session.mysql.change_user');
    assert.equal(events.length, 4);
    assert.equal(events[0]?.code, 'GMY14W');
    assert.equal(events[0]?.new_db_user, 'root');
    assert.equal(events[0]?.outcome.errno, 1045);
  });

  await t.test('COM_RESET_CONNECTION is relayed and audited', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CAPS);
    s.stream.resume();
    await c.query("SET @kept = 'kept-before-reset'");
    const reset = await c.send(Buffer.from([Command.ResetConnection]));
    assert.equal(reset.outcomes[0]?.kind, 'ok');
    const after = await c.query('SELECT @kept');
    assert.ok(!hasCell(after, 'kept-before-reset'));
    const sid = s.stream.header.sessionId;
    await waitFor('the reset event', () => eventsOf(f, sid, 'db.session.mysql.reset_connection').length === 1);
    assert.equal(eventsOf(f, sid, 'db.session.mysql.reset_connection')[0]?.code, 'GMY16I');
  });
});
