// Regression: a KILL of someone else's session got past the policy when it was not the first
// statement of a COM_QUERY, when it came as COM_STMT_PREPARE (the binary protocol, mtr's
// --ps-protocol run of main.kill), or as the SQL of PREPARE … FROM '…' / EXECUTE IMMEDIATE '…'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAccessChecker, RoleSchema } from '@gatehouse/common';
import { Command, parseClientCommand } from '@gatehouse/mysql-protocol';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { decideCommand, type PolicyContext } from '../../src/session/command-policy.js';
import { readDynamicSql, splitStatements } from '../../src/session/statement-texts.js';

const OWN_THREAD = 7;
const everything = RoleSchema.parse({
  kind: 'role',
  name: 'all',
  allow: { db_labels: { '*': '*' }, db_users: ['*'], db_names: ['*'] },
});
const ctx: PolicyContext = {
  user: 'alice',
  database: { name: 'db', labels: {} },
  dbUser: 'u',
  checker: createAccessChecker({ roles: [everything], traits: {} }),
  allowReplication: false,
  ownsThread: (id) => id === OWN_THREAD,
};

function decide(command: number, sql: string): number | 'forward' {
  const payload = Buffer.concat([Buffer.from([command]), Buffer.from(sql)]);
  const verdict = decideCommand(parseClientCommand(payload, { capabilities: 0 }), ctx);
  return verdict.kind === 'deny' ? verdict.err.errno : 'forward';
}

const KILL_DENIED = 1095;

test('KILL of another session is refused in every statement of a multi-statement query', () => {
  assert.equal(decide(Command.Query, 'SELECT 1; KILL 99'), KILL_DENIED);
  assert.equal(decide(Command.Query, 'SELECT 1;\n/* note */ KILL QUERY 99;'), KILL_DENIED);
  assert.equal(decide(Command.Query, 'SELECT 1; KILL HARD QUERY USER bob'), KILL_DENIED);
  assert.equal(decide(Command.Query, 'SELECT 1; /*!KILL 99*/'), KILL_DENIED);
  // The caller's own session stays killable anywhere.
  assert.equal(decide(Command.Query, `SELECT 1; KILL ${OWN_THREAD}`), 'forward');
});

test('KILL inside PREPARE … FROM and EXECUTE IMMEDIATE literals is refused', () => {
  assert.equal(decide(Command.Query, "PREPARE s FROM 'KILL 99'"), KILL_DENIED);
  assert.equal(decide(Command.Query, 'SET @a = 1; EXECUTE IMMEDIATE "KILL CONNECTION 99"'), KILL_DENIED);
  assert.equal(decide(Command.Query, "PREPARE `s` FROM 'SELECT 1; KILL 99'"), KILL_DENIED);
  assert.equal(decide(Command.Query, `PREPARE s FROM 'KILL ${OWN_THREAD}'`), 'forward');
});

test('a prepared KILL (COM_STMT_PREPARE) is checked when it is prepared', () => {
  assert.equal(decide(Command.StmtPrepare, 'KILL 99'), KILL_DENIED);
  assert.equal(decide(Command.StmtPrepare, 'KILL ?'), KILL_DENIED);
  assert.equal(decide(Command.StmtPrepare, 'KILL HARD QUERY USER test2@nohost'), KILL_DENIED);
  assert.equal(decide(Command.StmtPrepare, `KILL QUERY ${OWN_THREAD}`), 'forward');
  assert.equal(decide(Command.StmtPrepare, 'SELECT ? FROM t'), 'forward');
});

test('the word KILL inside quotes, identifiers and comments is not a statement', () => {
  assert.equal(decide(Command.Query, "SELECT 'a; KILL 99'"), 'forward');
  assert.equal(decide(Command.Query, 'SELECT `x;KILL 99` FROM t'), 'forward');
  assert.equal(decide(Command.Query, 'SELECT 1 -- ; KILL 99\n'), 'forward');
  assert.equal(decide(Command.Query, 'SELECT 1 /* ; KILL 99 */'), 'forward');
  assert.equal(decide(Command.Query, "SELECT 'it''s; KILL 99', \"a\\\";KILL 99\""), 'forward');
  assert.equal(decide(Command.Query, 'SELECT skill FROM killers'), 'forward');
});

test('statements split at separators outside quotes and comments; dynamic SQL is read from literals only', () => {
  assert.deepEqual(splitStatements('a;\'b;c\';`d;e`;"f;g";;  ;h'), ['a', "'b;c'", '`d;e`', '"f;g"', 'h']);
  assert.deepEqual(splitStatements('x -- c;d\n; y # e;f\n'), ['x -- c;d\n', ' y # e;f\n']);
  assert.deepEqual(readDynamicSql("PREPARE s FROM 'a''b\\'c'"), { sql: "a'b'c" });
  assert.deepEqual(readDynamicSql('execute immediate @q'), { dynamic: true });
  assert.equal(readDynamicSql('SELECT 1'), undefined);
});

test('seeded random SQL-ish text never throws and splits without losing statement text', () => {
  const rnd = createSeededRandom(20261207);
  const alphabet = ["'", '"', '`', ';', '-', '#', '/', '*', '!', '\\', '\n', ' ', 'k', 'i', 'l', 'K', 'L', '1'];
  for (let n = 0; n < 3000; n++) {
    let sql = '';
    const len = rnd.int(40);
    for (let i = 0; i < len; i++) sql += alphabet[rnd.int(alphabet.length)];
    const parts = splitStatements(sql);
    // Every statement is a piece of the text, in order.
    let at = 0;
    for (const part of parts) {
      const found = sql.indexOf(part, at);
      assert.ok(found >= at, `seed 20261207 case ${n}: ${JSON.stringify(sql)}`);
      at = found + part.length;
    }
    decide(Command.Query, sql);
  }
});
