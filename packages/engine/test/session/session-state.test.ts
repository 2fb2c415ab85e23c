import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  BufferReader,
  Capability,
  ColumnType,
  connectUpstream,
  createParamType,
  parseOkPacket,
  ServerStatus,
  serializeSchemaCommand,
  serializeStmtExecute,
  serializeStmtPrepare,
} from '@gatehouse/mysql-protocol';
import { queryRows } from '../../src/backends/monitor-query.js';
import { readBackQuery, replayStatements } from '../../src/session/session-replay.js';
import { makeRole } from './cluster-fixture.js';
import { RawClient, type Reply } from './raw-client.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

/** A text result's rows by column name (DEPRECATE_EOF: count, definitions, rows, OK). */
/** The rows of a text result; `types` gets each column's type byte (how a user variable's type shows). */
function textRows(reply: Reply, types?: Map<string, number>): Record<string, string | null>[] {
  assert.equal(reply.outcomes.at(-1)?.kind, 'resultset', JSON.stringify(reply.outcomes.at(-1)));
  const r = new BufferReader();
  const [head, ...rest] = reply.packets;
  r.reset(head!);
  const count = r.lenencInt();
  const names = rest.slice(0, count).map((p) => {
    r.reset(p);
    for (let i = 0; i < 4; i++) r.lenencBytes();
    const name = r.lenencString();
    r.lenencBytes();
    r.lenencInt();
    r.u16();
    r.u32();
    types?.set(name, r.u8());
    return name;
  });
  return rest.slice(count, -1).map((p) => {
    r.reset(p);
    return Object.fromEntries(names.map((n) => [n, r.lenencStringOrNull()]));
  });
}

test('the engine tracks a session state on a real MariaDB, whatever the client negotiated', async (t) => {
  const f = await createFixture(t);
  const other = `${f.schema}_secret`;
  f.cluster.setRoles([
    makeRole('dev', {
      options: { client_idle_timeout: '1h' },
      allow: { db_labels: { env: 'dev' }, db_users: [f.dbUser], db_names: [f.schema, other] },
    }),
  ]);
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });

  await t.test('a client without CLIENT_SESSION_TRACK sees OK packets in its own format', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CLIENT_CAPS);
    s.stream.resume();
    await c.query('CREATE TABLE IF NOT EXISTS st1 (id INT PRIMARY KEY, v INT)');
    await c.query('REPLACE INTO st1 VALUES (1, 1)');
    const update = await c.query('UPDATE st1 SET v = v + 1 WHERE id = 1');
    const ok = parseOkPacket(update.packets[0]!, CLIENT_CAPS);
    // Without the rewrite the info would start with its length byte, and the state block follow.
    assert.match(ok.info, /^Rows matched: 1 {2}Changed: 1 {2}Warnings: 0$/);
    const set = await c.query("SET SESSION sql_mode = 'ANSI_QUOTES'");
    const setOk = parseOkPacket(set.packets[0]!, CLIENT_CAPS);
    assert.equal(setOk.info, '');
    assert.equal(setOk.statusFlags & ServerStatus.SessionStateChanged, 0);
    assert.equal(set.packets[0]!.length, 7, 'a bare OK: header, two counts, status, warnings');
    const state = f.sessions.at(-1)!.state!;
    assert.equal(state.tracking, true);
    assert.equal(state.variables.get('sql_mode'), 'ANSI_QUOTES');
  });

  await t.test('a client with CLIENT_SESSION_TRACK gets the tracking the database sent', async () => {
    const caps = CLIENT_CAPS | Capability.SessionTrack;
    const s = await f.open({ cert: alice, capabilities: caps });
    const c = new RawClient(s.stream, caps);
    s.stream.resume();
    const set = await c.query("SET SESSION sql_mode = 'ANSI_QUOTES'");
    const ok = parseOkPacket(set.packets[0]!, caps);

    assert.ok(ok.sessionStateChanges.some((ch) => ch.kind === 'system-variable' && ch.name === 'sql_mode'));
  });

  await t.test('schema, variables, charset, autocommit, isolation, user variables and statements', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CLIENT_CAPS);
    s.stream.resume();
    const handle = f.sessions.at(-1)!;
    await c.query(`USE ${other}`);
    assert.equal(handle.state!.schema, other);
    await c.send(serializeSchemaCommand('init_db', f.schema));
    assert.equal(handle.state!.schema, f.schema);
    // SET NAMES itself is refused by the statement policy's parser (a limitation of its own).
    await c.query("SET character_set_client = 'latin1', collation_connection = 'latin1_swedish_ci'");
    assert.equal(handle.state!.characterSet, 'latin1');
    assert.equal(handle.state!.collation, 'latin1_swedish_ci');
    await c.query('SET autocommit = 0');
    assert.equal(handle.state!.autocommit, false);
    await c.query('SET autocommit = 1');
    assert.equal(handle.state!.autocommit, true);
    await c.query("SET SESSION tx_isolation = 'READ-COMMITTED'");
    assert.equal(handle.state!.isolation, 'READ-COMMITTED');
    await c.query("SET @greeting = 'hi', @n := 42");
    assert.deepEqual([...handle.state!.userVariables].sort(), ['greeting', 'n']);
    await c.query('CREATE TABLE IF NOT EXISTS st2 (id INT, name VARCHAR(20))');
    const prepared = await c.send(serializeStmtPrepare('INSERT INTO st2 VALUES (?, ?)'));
    const statementId = (prepared.outcomes[0] as { statementId: number }).statementId;
    const statement = handle.state!.statements.get(statementId);
    assert.equal(statement?.sql, 'INSERT INTO st2 VALUES (?, ?)');
    assert.equal(statement?.paramCount, 2);
    await c.send(
      serializeStmtExecute(
        {
          statementId,
          params: [
            { type: createParamType(ColumnType.Long), value: 1 },
            { type: createParamType(ColumnType.VarString), value: 'one' },
          ],
        },
        { capabilities: CLIENT_CAPS },
      ),
    );
    assert.deepEqual(statement?.paramTypes, Buffer.from([ColumnType.Long, 0, ColumnType.VarString, 0]));
    assert.deepEqual(handle.migratability(), { migratable: true });
    const close = Buffer.alloc(5);
    close[0] = 0x19; // COM_STMT_CLOSE
    close.writeUInt32LE(statementId, 1);
    await c.send(close);
    await c.query('SELECT 1');
    assert.equal(handle.state!.statements.has(statementId), false, 'COM_STMT_CLOSE forgets the statement');
  });

  await t.test('a session is not migratable while it holds what cannot move, and says why', async () => {
    const s = await f.open({ cert: alice });
    const c = new RawClient(s.stream, CLIENT_CAPS);
    s.stream.resume();
    const handle = f.sessions.at(-1)!;
    await c.query('CREATE TABLE IF NOT EXISTS st3 (id INT)');
    const reasonAfter = async (sql: string) => {
      const reply = await c.query(sql);
      assert.notEqual(reply.outcomes.at(-1)?.kind, 'err', `${sql}: ${JSON.stringify(reply.outcomes.at(-1))}`);
      const m = handle.migratability();
      return m.migratable ? undefined : m.reason;
    };
    assert.equal(await reasonAfter('START TRANSACTION'), 'transaction');
    assert.equal(await reasonAfter('INSERT INTO st3 VALUES (1)'), 'transaction');
    assert.equal(await reasonAfter('COMMIT'), undefined);
    assert.equal(await reasonAfter('SET autocommit = 0'), undefined);
    assert.equal(await reasonAfter('INSERT INTO st3 VALUES (2)'), 'transaction', 'an implicit transaction');
    assert.equal(await reasonAfter('ROLLBACK'), undefined);
    assert.equal(await reasonAfter('SET autocommit = 1'), undefined);
    assert.equal(await reasonAfter('LOCK TABLES st3 WRITE'), 'table_lock');
    assert.equal(await reasonAfter('UNLOCK TABLES'), undefined);
    assert.equal(await reasonAfter('CREATE TEMPORARY TABLE tmp_gh (id INT)'), 'temporary_table');
    assert.equal(await reasonAfter('DROP TABLE tmp_gh'), undefined);
    assert.equal(await reasonAfter(`SELECT GET_LOCK('${f.schema}_lock', 0)`), 'user_lock');
    assert.equal(await reasonAfter(`SELECT RELEASE_LOCK('${f.schema}_lock')`), undefined);
    const m = handle.migratability();
    assert.deepEqual(m, { migratable: true });
    // A prepared statement that assigns a user variable is seen when it is executed.
    const prepared = await c.send(serializeStmtPrepare('SELECT ? INTO @from_ps'));
    assert.equal(prepared.outcomes[0]?.kind, 'prepared', JSON.stringify(prepared.outcomes[0]));
    const statementId = (prepared.outcomes[0] as { statementId: number }).statementId;
    const executed = await c.send(
      serializeStmtExecute(
        { statementId, params: [{ type: createParamType(ColumnType.Long), value: 7 }] },
        { capabilities: CLIENT_CAPS },
      ),
    );
    assert.equal(executed.outcomes.at(-1)?.kind, 'ok', JSON.stringify(executed.outcomes.at(-1)));
    assert.ok(handle.state!.userVariables.has('from_ps'));
    const reset = await c.send(Buffer.from([0x1f])); // COM_RESET_CONNECTION
    assert.equal(reset.outcomes.at(-1)?.kind, 'ok');
    assert.deepEqual(handle.migratability(), {
      migratable: false,
      reason: 'tracking_off',
      message: "the database's session tracking is off for this session",
    });
  });

  await t.test('replayed on a new session, the tracked state reads back the same', async () => {
    const a = await f.open({ cert: alice });
    const ca = new RawClient(a.stream, CLIENT_CAPS);
    a.stream.resume();
    const handle = f.sessions.at(-1)!;
    for (const sql of [
      `USE ${other}`,
      "SET SESSION sql_mode = 'ANSI_QUOTES,NO_ZERO_DATE'",
      "SET character_set_client = 'latin1', collation_connection = 'latin1_german1_ci'",
      "SET SESSION tx_isolation = 'SERIALIZABLE'",
      "SET @greeting = 'it''s', @n = 42, @f = 1.5, @b = X'00ff', @nul = NULL",
      'SET autocommit = 0',
    ]) {
      const reply = await ca.query(sql);
      assert.notEqual(reply.outcomes.at(-1)?.kind, 'err', `${sql}: ${JSON.stringify(reply.outcomes.at(-1))}`);
    }
    const state = handle.state!;
    const query = readBackQuery([...state.userVariables]);
    assert.ok(query !== undefined);
    const types = new Map<string, number>();
    const values = textRows(await ca.query(query), types)[0];
    const replay = replayStatements(state, values, types);

    // The migration replays on its own login, which no role policy reads: so does the test.
    const b = await connectUpstream({
      address: { kind: 'tcp', host: f.db.host, port: f.db.port },
      user: f.dbUser,
      password: `pw-${f.dbUser}`,
      tls: { mode: 'verify-ca', ca: readFileSync(f.db.ca.caFile) },
      capabilities: CLIENT_CAPS,
    });
    t.after(() => b.socket.destroy());
    for (const sql of replay) await queryRows(b, sql, 10_000);
    const probe =
      'SELECT @@sql_mode, @@character_set_client, @@collation_connection, @@tx_isolation, DATABASE(), @@autocommit, ' +
      "@greeting, COLLATION(@greeting), @n, JSON_TYPE(JSON_EXTRACT(JSON_ARRAY(@n), '$[0]')), @f, " +
      "JSON_TYPE(JSON_EXTRACT(JSON_ARRAY(@f), '$[0]')), HEX(@b), COLLATION(@b), @nul IS NULL";
    const before = textRows(await ca.query(probe));
    const after = await queryRows(b, probe, 10_000);
    assert.deepEqual(after, before);
    assert.equal(before[0]!['DATABASE()'], other, 'the probe reads the changed state, not defaults');
    assert.equal(before[0]!['@@autocommit'], '0');
  });
});
