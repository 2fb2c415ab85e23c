import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoleSchema } from '@gatehouse/common';
import { Command, parseClientCommand } from '@gatehouse/mysql-protocol';
import { decideStatement, type StatementContext } from '../../src/policy/statement-policy.js';
import { decideCommand, type PolicyContext } from '../../src/session/command-policy.js';
import { context } from './statement-context.js';

const acc = RoleSchema.parse({
  kind: 'role',
  name: 'acc-only',
  allow: { db_labels: { env: 'dev' }, db_users: ['u'], db_names: ['acc'] },
});

function errno(sql: string, ctx: StatementContext): number | string {
  const v = decideStatement(sql, false, ctx);
  return v.kind === 'deny' ? v.err.errno : 'forward';
}

test('a schema outside db_names anywhere in the statement is ERR 1044 naming the role and the schema', () => {
  const ctx = context([acc]);
  const v = decideStatement('SELECT x FROM acc_other.secret', false, ctx);
  assert.equal(v.kind, 'deny');
  if (v.kind === 'deny') {
    assert.equal(v.err.errno, 1044);
    assert.match(v.err.message, /alice/);
    assert.match(v.err.message, /'acc_other'/);
    assert.match(v.err.message, /role 'acc-only'/);
    assert.match(v.err.message, /table 'acc_other.secret'/);
  }
  for (const sql of [
    'SELECT a.x FROM t a JOIN acc_other.s b ON a.id = b.id',
    'SELECT * FROM t WHERE id IN (SELECT id FROM acc_other.s)',
    'CALL acc_other.p()',
    "SELECT x FROM acc_other.secret INTO OUTFILE '/tmp/x'",
    'USE acc; SELECT x FROM acc_other.t',
    'USE acc_other',
    'GRANT SELECT ON acc_other.* TO bob',
    'GRANT SELECT ON *.* TO bob',
    'SELECT acc_other.f(1)',
  ]) {
    assert.equal(errno(sql, ctx), 1044, sql);
  }
  for (const sql of [
    'SELECT x FROM secret',
    'SELECT * FROM acc.t JOIN t USING (id)',
    'CALL p()',
    'SELECT 1; SELECT 2',
  ]) {
    assert.equal(errno(sql, ctx), 'forward', sql);
  }
});

test('information_schema, the server catalogue filtered by the db user, is outside db_names', () => {
  const ctx = context([acc]);
  assert.equal(errno('SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()', ctx), 'forward');
  assert.equal(errno('SELECT table_name FROM INFORMATION_SCHEMA.TABLES', ctx), 'forward');
  // Only the catalogue: a schema merely named like it is still checked.
  assert.equal(errno('SELECT x FROM information_schema_copy.t', ctx), 1044);
});

test('unqualified names take the current schema, and USE moves it for the statements after it', () => {
  const other = context([acc], 'acc_other');
  assert.equal(errno('SELECT x FROM secret', other), 1044);
  const two = RoleSchema.parse({ ...acc, name: 'two', allow: { ...acc.allow, db_names: ['acc', 'acc2'] } });
  const ctx = context([two]);
  const v = decideStatement('USE acc2; SELECT x FROM t', false, ctx);
  assert.deepEqual(v, { kind: 'forward', schema: 'acc2' });
  // No schema selected and none named: nothing to check, the server says so itself.
  assert.equal(errno('SELECT x FROM t', { ...ctx, currentSchema: () => '' }), 'forward');
});

test('unparseable text follows unparsed_statements: deny with a clear reason, or allow', () => {
  const ctx = context([acc]);
  const v = decideStatement('HANDLER acc_other.t OPEN', false, ctx);
  assert.equal(v.kind, 'deny');
  if (v.kind === 'deny') {
    assert.equal(v.err.errno, 1142);
    assert.match(v.err.message, /could not parse/);
    assert.match(v.err.message, /unparsed_statements: deny/);
  }
  // A statement past the prefix the engine reads is never checked on its first bytes only.
  assert.equal(decideStatement('SELECT 1', true, ctx).kind, 'deny');
  const open = RoleSchema.parse({ ...acc, name: 'open', options: { unparsed_statements: 'allow' } });
  assert.equal(errno('HANDLER acc_other.t OPEN', context([open])), 'forward');
});

test('statement rules: allow list, deny list and denied tables are ERR 1142 naming the rule', () => {
  const ro = RoleSchema.parse({
    kind: 'role',
    name: 'ro',
    allow: {
      db_labels: { env: 'dev' },
      db_users: ['u'],
      db_names: ['*'],
      statements: ['select', 'show', 'explain', 'set', 'use'],
    },
    deny: { tables: ['hr.salaries'] },
  });
  const ctx = context([ro]);
  assert.equal(errno('SELECT * FROM hr.people', ctx), 'forward');
  const insert = decideStatement('INSERT INTO t VALUES (1)', false, ctx);
  assert.equal(insert.kind, 'deny');
  if (insert.kind === 'deny') {
    assert.equal(insert.err.errno, 1142);
    assert.match(insert.err.message, /role 'ro' allow only statements select, show, explain, set, use/);
  }
  assert.equal(errno('SELECT 1; DROP TABLE t', ctx), 1142);
  const salaries = decideStatement('SELECT s.* FROM hr.people p JOIN hr.salaries s USING (id)', false, ctx);
  assert.equal(salaries.kind, 'deny');
  if (salaries.kind === 'deny') assert.match(salaries.err.message, /denies table 'hr.salaries'/);
  // Unparsed text is classified by its leading words: the deny list holds on it.
  const guard = RoleSchema.parse({
    kind: 'role',
    name: 'guard',
    options: { unparsed_statements: 'allow' },
    allow: { db_labels: { env: 'dev' }, db_users: ['u'], db_names: ['*'] },
    deny: { statements: ['alter user', 'revoke'] },
  });
  const g = context([guard]);
  const alter = decideStatement("ALTER USER bob IDENTIFIED BY 'x'", false, g);
  assert.equal(alter.kind, 'deny');
  if (alter.kind === 'deny') assert.match(alter.err.message, /role 'guard' denies statements 'alter user'/);
  assert.equal(errno('SHOW TABLES FROM x', g), 'forward');
});

test('decideCommand: COM_CREATE_DB / COM_DROP_DB and KILL pass through the statement checks too', () => {
  const guard = RoleSchema.parse({
    kind: 'role',
    name: 'guard',
    allow: { db_labels: { env: 'dev' }, db_users: ['u'], db_names: ['acc', 'acc_*'] },
    deny: { statements: ['drop database', 'kill'] },
  });
  const s = context([guard]);
  const ctx: PolicyContext = { ...s, allowReplication: false, ownsThread: () => true };
  const decide = (command: number, body: string) =>
    decideCommand(
      parseClientCommand(Buffer.concat([Buffer.from([command]), Buffer.from(body)]), { capabilities: 0 }),
      ctx,
    );
  assert.equal(decide(Command.CreateDb, 'acc_new').kind, 'forward');
  const other = decide(Command.CreateDb, 'elsewhere');
  assert.equal(other.kind === 'deny' && other.err.errno, 1044);
  const drop = decide(Command.DropDb, 'acc_new');
  assert.equal(drop.kind === 'deny' && drop.err.errno, 1142);
  const kill = decide(Command.Query, 'KILL 12');
  assert.ok(kill.kind === 'deny' && /denies statements 'kill'/.test(kill.err.message));
  // A lone KILL of one's own thread is not refused as unparseable under the default deny.
  const strict = context([acc]);
  const lone = decideCommand(parseClientCommand(Buffer.from('\x03KILL 12;'), { capabilities: 0 }), {
    ...strict,
    allowReplication: false,
    ownsThread: () => true,
  });
  assert.equal(lone.kind, 'forward');
  const trailing = decideCommand(
    parseClientCommand(Buffer.from('\x03KILL 12; SELECT x FROM acc_other.secret'), { capabilities: 0 }),
    { ...strict, allowReplication: false, ownsThread: () => true },
  );
  assert.equal(trailing.kind, 'deny');
  // Without statement checks, KILL of one's own thread is relayed as before.
  const plain = { ...ctx, statementRules: undefined };
  const own = decideCommand(parseClientCommand(Buffer.from('\x03KILL 12'), { capabilities: 0 }), plain);
  assert.equal(own.kind, 'forward');
});
