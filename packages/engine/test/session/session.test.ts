import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import {
  ColumnType,
  createParamType,
  parseErrPacket,
  parseOkPacket,
  serializeChangeUser,
  serializeSchemaCommand,
  serializeShutdown,
  serializeStmtExecute,
  serializeStmtPrepare,
} from '@gatehouse/mysql-protocol';
import { waitFor } from '@gatehouse/testing';
import { makeRole, makeUser } from './cluster-fixture.js';
import { RawClient } from './raw-client.js';
import { CLIENT_CAPS, createFixture, type Fixture } from './session-fixture.js';

const CAPS = CLIENT_CAPS;

/** An audit event read loosely, field by field. */
type EventView = Record<string, unknown> & {
  readonly outcome: Record<string, unknown>;
  readonly error: Record<string, unknown>;
};

function errOf(payload: Buffer) {
  const err = parseErrPacket(payload, CAPS);
  assert.equal(err.kind, 'err');
  return err as Extract<typeof err, { kind: 'err' }>;
}

function eventsOf(f: Fixture, sid: string, type: string): EventView[] {
  return f.cluster.events.filter((e: AuditEvent) => e.sid === sid && e.event === type) as unknown as EventView[];
}

test('engine sessions against a real MariaDB', async (t) => {
  const roles = (dbUser: string, schema: string) => {
    const allow = { db_labels: { env: 'dev' }, db_users: [dbUser], db_names: [schema] };
    return [
      makeRole('dev', { options: { client_idle_timeout: '1h' }, allow }),
      makeRole('idle', { options: { client_idle_timeout: '1s' }, allow }),
      makeRole('short', { options: { disconnect_expired_cert: true }, allow }),
    ];
  };
  const f = await createFixture(t);
  f.cluster.setRoles(roles(f.dbUser, f.schema));
  f.cluster.setUsers([
    makeUser('alice', ['dev']),
    makeUser('carol', ['idle']),
    makeUser('dave', ['short']),
    makeUser('erin', ['dev']),
  ]);
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });

  await t.test('login answers one OK packet with sequence id 0, then queries are relayed and audited', async () => {
    const s = await f.open({ cert: alice });
    assert.equal(s.loginSequenceId, 0);
    assert.equal(s.login[0], 0x00);
    const ok = parseOkPacket(s.login, CAPS);
    assert.equal(ok.affectedRows, 0);
    const c = new RawClient(s.stream, CAPS);
    s.stream.resume();
    const select = await c.query('SELECT 1 UNION SELECT 2 UNION SELECT 3');
    assert.equal(select.outcomes.at(-1)?.kind, 'resultset');
    await c.query('CREATE TABLE t1 (id INT PRIMARY KEY, name VARCHAR(20))');
    const insert = await c.query("INSERT INTO t1 VALUES (1, 'a'), (2, 'b')");
    assert.equal(insert.outcomes[0]?.kind, 'ok');
    const bad = await c.query('SELECT * FROM no_such_table');
    assert.equal(bad.outcomes[0]?.kind, 'err');
    const sid = s.stream.header.sessionId;
    const start = eventsOf(f, sid, 'db.session.start')[0] as Record<string, unknown>;
    assert.equal(start.success, true);
    assert.equal(start.user, 'alice');
    assert.equal(start.db_user, f.dbUser);
    assert.equal(start.proxy_id, 'proxy-test');
    assert.equal(start.client_addr, '192.0.2.10:40000');
    assert.equal(typeof start.thread_id, 'number');
    const queries = eventsOf(f, sid, 'db.session.query') as EventView[];
    assert.deepEqual(queries[0]?.outcome, { kind: 'rows', rows: 3, warnings: 0 });
    assert.equal(queries[2]?.outcome.kind, 'ok');
    assert.equal(queries[2]?.outcome.affected_rows, 2);
    assert.equal(queries[3]?.outcome.kind, 'error');
    assert.equal(queries[3]?.outcome.errno, 1146);
    assert.ok(queries.every((q) => typeof q.duration_ms === 'number'));
    await c.send(Buffer.from([0x01])); // COM_QUIT: no reply, the session ends
    // A client may close without waiting after COM_QUIT (the mariadb CLI does): still a clean end.
    s.stream.destroy();
    await waitFor('the end event', () => eventsOf(f, sid, 'db.session.end').length === 1);
    assert.equal((eventsOf(f, sid, 'db.session.end')[0] as Record<string, unknown>).error, undefined);
  });

  await t.test('a role that does not allow the db user gets ERR 1045 with the reason and a failure event', async () => {
    const s = await f.open({ cert: alice, dbUser: 'root' });
    const err = errOf(s.login);
    assert.equal(err.errno, 1045);
    assert.equal(err.sqlState, '28000');
    assert.match(err.message, /role 'dev' does not allow db user 'root'/);
    const start = eventsOf(f, s.stream.header.sessionId, 'db.session.start')[0] as EventView;
    assert.equal(start.success, false);
    assert.equal(start.user, 'alice');
    assert.equal(start.error.errno, 1045);
  });

  await t.test('an expired certificate is refused with its expiry time', async () => {
    const expired = await f.cluster.issueUser({ user: 'erin', roles: ['dev'], dbService: 'orders', ttlMs: 1000 });
    // Expiry has one-second precision: wait until the certificate is past its notAfter.
    const notAfter = Date.now() + 2000;
    await waitFor('the certificate to expire', () => Date.now() > notAfter || undefined);
    const s = await f.open({ cert: expired });
    assert.match(errOf(s.login).message, /certificate expired at /);
  });

  await t.test(
    'USE and COM_INIT_DB of a schema the role does not allow get ERR 1044 and never reach the server',
    async () => {
      const s = await f.open({ cert: alice });
      const c = new RawClient(s.stream, CAPS);
      s.stream.resume();
      const secret = `${f.schema}_secret`;
      for (const sql of [`USE ${secret}`, `/* hi */ use \`${secret}\``, `/*!40101 USE ${secret} */`]) {
        const reply = await c.query(sql);
        assert.equal(reply.packets.length, 1);
        const err = errOf(reply.packets[0]!);
        assert.equal(err.errno, 1044);
        assert.equal(err.sqlState, '42000');
        assert.match(
          err.message,
          new RegExp(`access denied for user alice to database '${secret}': role 'dev' does not allow db name`),
        );
      }
      const init = await c.send(serializeSchemaCommand('init_db', secret));
      assert.equal(errOf(init.packets[0]!).errno, 1044);
      const current = await c.query('SELECT DATABASE()');
      assert.equal(current.outcomes.at(-1)?.kind, 'resultset');
      assert.ok(current.packets.some((p) => p.includes(Buffer.from(f.schema)) && !p.includes(Buffer.from(secret))));
      const allowed = await c.send(serializeSchemaCommand('init_db', f.schema));
      assert.equal(allowed.outcomes[0]?.kind, 'ok');
      const initEvents = eventsOf(f, s.stream.header.sessionId, 'db.session.mysql.init_db') as EventView[];
      assert.equal(initEvents[0]?.outcome.errno, 1044);
      assert.equal(initEvents[1]?.outcome.kind, 'ok');
    },
  );

  await t.test(
    'COM_CHANGE_USER to a db user no role allows gets ERR 1045 and the session still works; COM_SHUTDOWN is denied',
    async () => {
      const s = await f.open({ cert: alice });
      const c = new RawClient(s.stream, CAPS);
      s.stream.resume();
      const change = await c.send(serializeChangeUser({ user: 'root' }, { capabilities: CAPS }));
      const err = errOf(change.packets[0]!);
      assert.equal(err.errno, 1045);
      assert.match(err.message, /role 'dev' does not allow db user 'root'/);
      const shutdown = await c.send(serializeShutdown());
      assert.equal(errOf(shutdown.packets[0]!).errno, 1227);
      const after = await c.query('SELECT CURRENT_USER()');
      assert.equal(after.outcomes.at(-1)?.kind, 'resultset');
      assert.ok(after.packets.some((p) => p.includes(Buffer.from(f.dbUser))));
      const sid = s.stream.header.sessionId;
      assert.equal((eventsOf(f, sid, 'db.session.mysql.change_user')[0] as EventView).outcome.errno, 1045);
      assert.equal(eventsOf(f, sid, 'db.session.mysql.shut_down').length, 1);
    },
  );

  await t.test('prepare and execute are audited with the decoded parameters and the outcome', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CAPS);
    s.stream.resume();
    await c.query('CREATE TABLE IF NOT EXISTS t2 (id INT, name VARCHAR(20))');
    const prepared = await c.send(serializeStmtPrepare('INSERT INTO t2 VALUES (?, ?)'));
    const ok = prepared.outcomes[0];
    assert.equal(ok?.kind, 'prepared');
    const statementId = (ok as { statementId: number }).statementId;
    const exec = await c.send(
      serializeStmtExecute(
        {
          statementId,
          params: [
            { type: createParamType(ColumnType.Long), value: 42 },
            { type: createParamType(ColumnType.VarString), value: 'forty-two' },
          ],
        },
        { capabilities: CAPS },
      ),
    );
    assert.equal(exec.outcomes[0]?.kind, 'ok');
    const sid = s.stream.header.sessionId;
    const prepare = eventsOf(f, sid, 'db.session.mysql.statements.prepare')[0] as EventView;
    assert.equal(prepare.statement_id, statementId);
    assert.equal(prepare.query, 'INSERT INTO t2 VALUES (?, ?)');
    const execute = eventsOf(f, sid, 'db.session.mysql.statements.execute')[0] as EventView;
    assert.deepEqual(execute.parameters, [42, 'forty-two']);
    assert.equal(execute.outcome.affected_rows, 1);
    assert.equal(execute.query, 'INSERT INTO t2 VALUES (?, ?)');
  });

  await t.test('a malformed client packet gets an ERR, a malformed_packet event, and the session closes', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CAPS);
    s.stream.resume();
    s.stream.write(Buffer.from([0x02, 0x00, 0x00, 0x00, 0x17, 0x01])); // COM_STMT_EXECUTE cut short
    await c.closed;
    const err = errOf(c.unsolicited[0]!);
    assert.equal(err.errno, 1835);
    assert.match(err.message, /malformed packet/);
    assert.equal(eventsOf(f, s.stream.header.sessionId, 'db.session.malformed_packet').length, 1);
  });

  await t.test(
    'idle timeout, certificate expiry and a lock mid-session each close with an ERR naming the reason',
    async () => {
      const carol = await f.cluster.issueUser({ user: 'carol', roles: ['idle'], dbService: 'orders' });
      const dave = await f.cluster.issueUser({ user: 'dave', roles: ['short'], dbService: 'orders', ttlMs: 3000 });
      const opened = await Promise.all([f.open({ cert: carol }), f.open({ cert: dave }), f.open({ cert: alice })]);
      const clients = opened.map((s) => {
        const c = new RawClient(s.stream, CAPS);
        s.stream.resume();
        return c;
      });
      assert.ok(opened.every((s) => s.login[0] === 0x00));
      f.cluster.lock('alice', 'left the company');
      const messages = await Promise.all(
        clients.map(async (c) => {
          await waitFor('the session to close', () => c.ended || undefined);
          return errOf(c.unsolicited[0]!);
        }),
      );
      assert.equal(messages[0]!.errno, 4031);
      assert.match(messages[0]!.message, /no command for 1 s/);
      assert.match(messages[1]!.message, /certificate of user dave expired at/);
      assert.match(messages[2]!.message, /user alice is locked: left the company/);
      // Each session's end event says why the engine closed it.
      for (const [i, s] of opened.entries()) {
        const sid = s.stream.header.sessionId;
        await waitFor('the end event', () => eventsOf(f, sid, 'db.session.end').length === 1);
        const end = eventsOf(f, sid, 'db.session.end')[0] as EventView;
        assert.equal(end.error.code, 'GH_ERR_ENGINE_SESSION_CLOSED');
        assert.equal(end.error.message, messages[i]!.message);
      }
    },
  );
});
