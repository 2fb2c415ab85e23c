// Cases the one-record-per-command design must get right (issue 13): replies and audit events
// stay paired with their commands when commands are pipelined around a denial, a close or a
// reset. Real MariaDB; the commands of each case go out in one write.
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import {
  ColumnType,
  createParamType,
  createResponseTracker,
  type ResponseOutcome,
  readTrackedCommand,
  serializePacket,
  serializeQuery,
  serializeSchemaCommand,
  serializeStmtClose,
  serializeStmtExecute,
  serializeStmtFetch,
  serializeStmtPrepare,
  serializeStmtReset,
} from '@gatehouse/mysql-protocol';
import { waitFor } from '@gatehouse/testing';
import { makeUser } from './cluster-fixture.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

const CURSOR_TYPE_READ_ONLY = 0x01;

/**
 * Sends `payloads` as commands in one write and resolves with each one's outcomes, in order
 * (a command with no reply, like COM_STMT_CLOSE, gets a single no-reply outcome).
 */
function pipeline(stream: Duplex, payloads: readonly Buffer[]): Promise<ResponseOutcome[][]> {
  return new Promise((resolve, reject) => {
    const replies: ResponseOutcome[][] = [];
    let current: ResponseOutcome[] = [];
    const tracker = createResponseTracker({
      capabilities: CLIENT_CAPS,
      onOutcome: (outcome) => {
        current.push(outcome);
        if (!outcome.done) return;
        replies.push(current);
        current = [];
        if (replies.length === payloads.length) {
          stream.off('data', onData);
          resolve(replies);
        }
      },
    });
    const onData = (chunk: Buffer): void => {
      try {
        tracker.pushServer(chunk);
      } catch (err) {
        reject(err);
      }
    };
    stream.on('data', onData);
    for (const p of payloads) tracker.onCommand(readTrackedCommand(p));
    stream.write(Buffer.concat(payloads.map((p) => serializePacket(p, 0))));
  });
}

function outcomeKinds(replies: readonly ResponseOutcome[][]): string[] {
  return replies.map((r) => r.at(-1)!.kind);
}

test('commands pipelined around a denial, a close and a reset keep their replies and events', async (t) => {
  const f = await createFixture(t);
  f.cluster.setUsers([makeUser('alice', ['dev'])]);
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  const s = await f.open({ cert: alice });
  s.stream.resume();
  const sid = s.stream.header.sessionId;
  const events = (type: string) =>
    f.cluster.events.filter((e: AuditEvent) => e.sid === sid && e.event === type) as unknown as Array<
      Record<string, unknown> & { outcome: Record<string, unknown> }
    >;
  const prepare = async (sql: string): Promise<number> => {
    const [reply] = await pipeline(s.stream, [serializeStmtPrepare(sql)]);
    const ok = reply!.at(-1)!;
    assert.equal(ok.kind, 'prepared');
    return (ok as { statementId: number }).statementId;
  };

  await t.test('a denial between two pipelined commands', async () => {
    const replies = await pipeline(s.stream, [
      serializeQuery('SELECT 1', { capabilities: CLIENT_CAPS }),
      serializeSchemaCommand('init_db', `${f.schema}_secret`),
      serializeQuery('SELECT 2', { capabilities: CLIENT_CAPS }),
    ]);
    assert.deepEqual(outcomeKinds(replies), ['resultset', 'err', 'resultset']);
    assert.equal((replies[1]!.at(-1) as { errno: number }).errno, 1044);
    const queries = events('db.session.query');
    assert.deepEqual(
      queries.map((q) => [q.query, q.outcome.kind]),
      [
        ['SELECT 1', 'rows'],
        ['SELECT 2', 'rows'],
      ],
    );
    const denied = events('db.session.mysql.init_db');
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.outcome.errno, 1044);
    // The denial's event keeps its command's place: after the reply before it ended, before the
    // command after it (it used to be written when the denial was decided, ahead of SELECT 1's).
    const order = f.cluster.events
      .filter(
        (e: AuditEvent) => e.sid === sid && (e.event === 'db.session.query' || e.event === 'db.session.mysql.init_db'),
      )
      .map((e) => (e.event === 'db.session.query' ? (e as { query: string }).query : 'init_db'));
    assert.deepEqual(order, ['SELECT 1', 'init_db', 'SELECT 2']);
    // The session goes on, with the commands after it answered and audited as usual.
    const [after] = await pipeline(s.stream, [serializeQuery('SELECT 5', { capabilities: CLIENT_CAPS })]);
    assert.equal(after!.at(-1)!.kind, 'resultset');
    assert.equal(events('db.session.query').at(-1)?.query, 'SELECT 5');
  });

  await t.test('two denials pipelined behind a query keep their order and both ERRs', async () => {
    const before = f.cluster.events.length;
    const replies = await pipeline(s.stream, [
      serializeQuery('SELECT 6', { capabilities: CLIENT_CAPS }),
      serializeSchemaCommand('init_db', `${f.schema}_secret`),
      serializeSchemaCommand('init_db', `${f.schema}_hidden`),
      serializeQuery('SELECT 7', { capabilities: CLIENT_CAPS }),
    ]);
    assert.deepEqual(outcomeKinds(replies), ['resultset', 'err', 'err', 'resultset']);
    const order = f.cluster.events
      .slice(before)
      .filter((e: AuditEvent) => e.sid === sid)
      .map((e) =>
        e.event === 'db.session.query' ? (e as { query: string }).query : (e as { schema_name?: string }).schema_name,
      );
    assert.deepEqual(order, ['SELECT 6', `${f.schema}_secret`, `${f.schema}_hidden`, 'SELECT 7']);
  });

  await t.test('a denial queued behind a reply the session never sees end is still recorded', async () => {
    const other = await f.open({ cert: alice });
    other.stream.resume();
    const otherSid = other.stream.header.sessionId;
    // The denial waits behind the SLEEP's reply; the client is gone (a reset, as when its
    // process dies) before that reply comes.
    other.stream.write(
      Buffer.concat([
        serializePacket(serializeQuery('SELECT SLEEP(5)', { capabilities: CLIENT_CAPS }), 0),
        serializePacket(serializeSchemaCommand('init_db', `${f.schema}_secret`), 0),
      ]),
    );
    other.stream.destroy();
    const ofOther = () => f.cluster.events.filter((e: AuditEvent) => e.sid === otherSid).map((e) => e.event);
    await waitFor('the session end event', () => ofOther().includes('db.session.end'));
    const kinds = ofOther();
    assert.ok(kinds.includes('db.session.mysql.init_db'), kinds.join(', '));
    assert.ok(kinds.indexOf('db.session.mysql.init_db') < kinds.indexOf('db.session.end'));
  });

  await t.test('a statement closed while its execute is in flight', async () => {
    const id = await prepare('SELECT ? AS answer');
    const replies = await pipeline(s.stream, [
      serializeStmtExecute(
        { statementId: id, params: [{ type: createParamType(ColumnType.Long), value: 42 }] },
        { capabilities: CLIENT_CAPS },
      ),
      serializeStmtClose(id),
      serializeQuery('SELECT 3', { capabilities: CLIENT_CAPS }),
    ]);
    assert.deepEqual(outcomeKinds(replies), ['resultset', 'no-reply', 'resultset']);
    // The execute's event still has the statement's text and its parameter: the close that
    // followed it did not take them away.
    const [execute] = events('db.session.mysql.statements.execute');
    assert.equal(execute?.statement_id, id);
    assert.equal(execute?.query, 'SELECT ? AS answer');
    assert.deepEqual(execute?.parameters, [42]);
    assert.deepEqual(execute?.outcome, { kind: 'rows', rows: 1, warnings: 0 });
    assert.equal(events('db.session.mysql.statements.close')[0]?.statement_id, id);
    // The statement is gone: the server refuses its next execute, and the event says so.
    const [again] = await pipeline(s.stream, [
      serializeStmtExecute(
        { statementId: id, params: [{ type: createParamType(ColumnType.Long), value: 1 }] },
        { capabilities: CLIENT_CAPS },
      ),
    ]);
    assert.equal(again!.at(-1)!.kind, 'err');
    assert.equal(events('db.session.mysql.statements.execute')[1]?.outcome.kind, 'error');
  });

  await t.test('a COM_STMT_RESET racing a fetch', async () => {
    const id = await prepare('SELECT seq FROM seq_1_to_10');
    const [opened] = await pipeline(s.stream, [
      serializeStmtExecute(
        { statementId: id, params: [], flags: CURSOR_TYPE_READ_ONLY },
        { capabilities: CLIENT_CAPS },
      ),
    ]);
    assert.equal(opened!.at(-1)!.kind, 'resultset');
    assert.equal((opened!.at(-1) as { cursor: boolean }).cursor, true);
    const replies = await pipeline(s.stream, [
      serializeStmtFetch(id, 3),
      serializeStmtReset(id),
      serializeStmtFetch(id, 3),
    ]);
    // The fetch gets its three rows; the reset closes the cursor; the next fetch finds none.
    assert.deepEqual(outcomeKinds(replies), ['fetch', 'ok', 'err']);
    assert.equal((replies[0]!.at(-1) as { rowCount: number }).rowCount, 3);
    const fetches = events('db.session.mysql.statements.fetch');
    assert.deepEqual(
      fetches.map((e) => [e.statement_id, e.rows_count, e.outcome.kind]),
      [
        [id, 3, 'rows'],
        [id, 0, 'error'],
      ],
    );
    const resets = events('db.session.mysql.statements.reset');
    assert.deepEqual(
      resets.map((e) => [e.statement_id, e.outcome.kind]),
      [[id, 'ok']],
    );
    // The session goes on.
    const [after] = await pipeline(s.stream, [serializeQuery('SELECT 4', { capabilities: CLIENT_CAPS })]);
    assert.equal(after!.at(-1)!.kind, 'resultset');
  });
});
