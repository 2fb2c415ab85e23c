import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoleSchema } from '@gatehouse/common';
import { AnalysisCache } from '../../src/policy/analysis-cache.js';
import { exposeExecutableComments } from '../../src/policy/executable-comments.js';
import { recognizeStatement } from '../../src/policy/recognized-statements.js';
import { analyzeSql, type SqlAnalysis } from '../../src/policy/sql-analysis.js';
import { decideStatement } from '../../src/policy/statement-policy.js';
import { context } from './statement-context.js';

const acc = RoleSchema.parse({
  kind: 'role',
  name: 'acc-only',
  allow: { db_labels: { env: 'dev' }, db_users: ['u'], db_names: ['acc'] },
});

function names(a: SqlAnalysis): string[] {
  if (a.kind !== 'parsed') return [`unparsed: ${a.reason}`];
  return a.statements.flatMap((s) => s.objects.map((o) => `${o.kind}:${o.schema ?? '-'}.${o.name}`));
}

/** What clients, GUIs and ORMs send, with what each names (schema '-': the current one). */
const EVERYDAY: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['SET NAMES utf8mb4', []],
  ["SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", []],
  ['SET NAMES utf8mb4 COLLATE utf8mb4_general_ci', []],
  ['SET CHARACTER SET utf8', []],
  ['SET CHARSET DEFAULT', []],
  ['/*!40101 SET NAMES utf8 */', []],
  ['/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;', []],
  ['SET @x = ?', []],
  ['SET @`x` = 1, @y := -2', []],
  ['SELECT @`x`', []],
  ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', []],
  ['SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY', []],
  ['SET autocommit=0', []],
  ["SET sql_mode='STRICT_TRANS_TABLES'", []],
  ['SET @@session.autocommit = ON', []],
  ['SELECT @@version_comment LIMIT 1', []],
  ['SELECT CONVERT(x USING utf8mb4) FROM t', ['table:-.t']],
  ["SELECT GET_LOCK('x', 1)", []],
  ['START TRANSACTION READ ONLY', []],
  ['START TRANSACTION WITH CONSISTENT SNAPSHOT', []],
  ['SAVEPOINT sp1', []],
  ['RELEASE SAVEPOINT sp1', []],
  ['ROLLBACK TO sp1', []],
  ['ROLLBACK WORK TO SAVEPOINT `sp 1`', []],
  ["XA START 'trx1'", []],
  ["XA END 'trx1'", []],
  ["XA PREPARE 'trx1'", []],
  ["XA COMMIT 'trx1' ONE PHASE", []],
  ['XA RECOVER', []],
  ['LOCK TABLES t READ', ['table:-.t']],
  ['UNLOCK TABLES', []],
  ['KILL QUERY 42', []],
  ['SHOW TABLES FROM acc', ['database:acc.']],
  ["SHOW FULL TABLES IN `acc` LIKE 't%'", ['database:acc.']],
  ['SHOW COLUMNS FROM t', ['table:-.t']],
  ['SHOW FULL COLUMNS FROM acc.t', ['table:acc.t']],
  ['SHOW COLUMNS FROM t FROM acc', ['table:-.t', 'table:acc.t']],
  ['DESCRIBE t', ['table:-.t']],
  ['DESC acc.t', ['table:acc.t']],
  ['DESCRIBE `acc`.`t` `x`', ['table:acc.t']],
  ['SHOW CREATE TABLE acc.t', ['table:acc.t']],
  ['SHOW INDEX FROM t FROM acc', ['table:-.t', 'table:acc.t']],
  ['SHOW KEYS IN acc.t', ['table:acc.t']],
  ['SHOW TABLE STATUS FROM acc', ['database:acc.']],
  ['SHOW CREATE DATABASE acc', ['database:acc.']],
  ['SHOW TRIGGERS FROM acc', ['database:acc.']],
  ['SHOW FULL PROCESSLIST', []],
  ['SHOW WARNINGS', []],
  ['SHOW WARNINGS LIMIT 10', []],
  ['SHOW ERRORS', []],
  ["SHOW VARIABLES LIKE 'lower_case%'", []],
  ["SHOW SESSION VARIABLES LIKE 'sql_mode'", []],
  ['SHOW GLOBAL STATUS', []],
  ['SHOW STATUS', []],
  ['SHOW ENGINES', []],
  ['SHOW PROCEDURE STATUS', []],
  ['ANALYZE TABLE t', ['table:-.t']],
  ['CHECKSUM TABLE acc.t, u EXTENDED', ['table:acc.t', 'table:-.u']],
  ['OPTIMIZE NO_WRITE_TO_BINLOG TABLE t', ['table:-.t']],
  ['CHECK TABLE t FOR UPGRADE', ['table:-.t']],
  ['DROP TEMPORARY TABLE t', ['table:-.t']],
  ['DROP TEMPORARY TABLE IF EXISTS acc.t, u', ['table:acc.t', 'table:-.u']],
  ['CREATE TEMPORARY TABLE tmp (id INT)', ['table:-.tmp']],
  ['CREATE TEMPORARY TABLE tmp AS SELECT * FROM acc.t', ['table:-.tmp', 'table:acc.t']],
  ['CREATE TEMPORARY TABLE IF NOT EXISTS acc.tmp SELECT id FROM t', ['table:acc.tmp', 'table:-.t']],
];

test('everyday client, GUI and ORM statements are read, with every schema they name', () => {
  for (const [sql, expected] of EVERYDAY) {
    assert.deepEqual(names(analyzeSql(sql)).sort(), [...expected].sort(), sql);
  }
});

test('recognized forms keep their statement class for the statement rules', () => {
  const classes = (sql: string): readonly string[] => {
    const a = analyzeSql(sql);
    return a.kind === 'parsed' ? a.statements.flatMap((s) => s.classes) : ['unparsed'];
  };
  assert.deepEqual(classes('SHOW TABLES FROM acc'), ['show']);
  assert.deepEqual(classes('DESC acc.t'), ['explain']);
  assert.deepEqual(classes('SET NAMES utf8'), ['set']);
  assert.deepEqual(classes('SAVEPOINT a'), ['transaction']);
  assert.deepEqual(classes('DROP TEMPORARY TABLE t'), ['drop', 'drop table']);
  assert.deepEqual(classes('CREATE TEMPORARY TABLE x SELECT 1'), ['create', 'create table']);
  assert.deepEqual(classes("XA START 'x'"), ['xa']);
  assert.deepEqual(classes('CHECKSUM TABLE t'), ['checksum']);
});

test('texts whose schemas cannot be read from fixed places stay unparsed', () => {
  for (const sql of [
    // A WHERE filter may hold a subquery.
    'SHOW TABLES WHERE 1',
    "SHOW FULL TABLES FROM acc WHERE Table_type = 'VIEW'",
    'SHOW COLUMNS FROM t WHERE Field IN (SELECT x FROM acc_other.s)',
    // A second statement after a recognized one.
    'SHOW TABLES FROM acc; SHOW TABLES FROM acc_other',
    'SET NAMES utf8; SELECT * FROM acc_other.t',
    // "…" is an identifier under ANSI_QUOTES; a backslash ends a string differently under
    // NO_BACKSLASH_ESCAPES.
    'SHOW TABLES FROM "acc_other"',
    "SHOW TABLES LIKE 'a\\' FROM acc_other",
    // Expressions in value positions.
    'SET @x = 1 + (SELECT 1)',
    'SET STATEMENT max_statement_time=1 FOR SELECT * FROM acc_other.t',
    'SET ROLE admin',
    "XA START X'01'",
    'DESCRIBE SELECT * FROM acc_other.t',
    'ANALYZE TABLE t PERSISTENT FOR COLUMNS (a) INDEXES (i)',
    'CREATE TEMPORARY TABLE tmp SELECT 1 INTO OUTFILE "/tmp/x"',
    'CREATE TEMPORARY TABLE tmp SELECT 1; DROP TABLE acc_other.t',
    'DROP TABLE acc.t, acc_other.u RESTRICT junk',
    'KILL USER bob',
    'HANDLER acc_other.t OPEN',
  ]) {
    assert.equal(analyzeSql(sql).kind, 'unparsed', sql);
  }
});

test('db_names: the recognized forms are allowed in acc and ERR 1044 naming the schema outside it', () => {
  const ctx = context([acc]);
  const verdict = (sql: string): number | string => {
    const v = decideStatement(sql, false, ctx);
    return v.kind === 'deny' ? v.err.errno : 'forward';
  };
  for (const [sql] of EVERYDAY) assert.equal(verdict(sql), 'forward', sql);
  for (const sql of [
    'SHOW TABLES FROM acc_other',
    'SHOW FULL TABLES IN `acc_other`',
    'SHOW COLUMNS FROM acc_other.t',
    'SHOW COLUMNS FROM t FROM acc_other',
    'SHOW COLUMNS FROM acc.t FROM acc_other',
    'DESCRIBE acc_other.t',
    'DESC `acc_other`.t',
    'EXPLAIN acc_other.t',
    'SHOW CREATE TABLE acc_other.t',
    'SHOW CREATE DATABASE acc_other',
    'SHOW INDEX FROM t IN acc_other',
    'SHOW TABLE STATUS FROM acc_other',
    'SHOW OPEN TABLES FROM acc_other',
    'SHOW TRIGGERS IN acc_other',
    'SHOW CREATE FUNCTION acc_other.f',
    'ANALYZE TABLE t, acc_other.t',
    'CHECKSUM TABLE acc_other.t',
    'DROP TEMPORARY TABLE IF EXISTS acc_other.t',
    'CREATE TEMPORARY TABLE tmp AS SELECT * FROM acc_other.t',
    'CREATE TEMPORARY TABLE acc_other.tmp SELECT 1',
    'SELECT @`x` FROM acc_other.t',
  ]) {
    const v = decideStatement(sql, false, ctx);
    assert.equal(v.kind, 'deny', sql);
    if (v.kind === 'deny') {
      assert.equal(v.err.errno, 1044, sql);
      assert.match(v.err.message, /'acc_other'/, sql);
    }
  }
  // With no schema selected, SHOW TABLES (no FROM) names none: the server answers itself.
  assert.equal(decideStatement('SHOW TABLES LIKE ?', false, { ...ctx, currentSchema: () => '' }).kind, 'forward');
  // The current schema is the one SHOW TABLES names: one outside db_names is refused.
  assert.equal(decideStatement('SHOW TABLE STATUS', false, { ...ctx, currentSchema: () => 'acc_other' }).kind, 'deny');
});

test('a recognized statement is cached by digest: the same form with other literals is a lookup', () => {
  const cache = new AnalysisCache();
  cache.analyze("SHOW VARIABLES LIKE 'sql_mode'");
  cache.analyze("SHOW VARIABLES LIKE 'version%'");
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 1);
  cache.analyze("XA START 'a'");
  cache.analyze("XA START 'b'");
  cache.analyze('SET @x = 1');
  cache.analyze('SET @x = 2');
  assert.equal(cache.hits, 3);
  assert.equal(cache.size, 3);
  // The digest never stands in for a name: a schema is read from the text.
  const other = cache.analyze('SHOW TABLES FROM acc_other');
  assert.deepEqual(names(other), ['database:acc_other.']);
});

/** Deterministic pseudo-random numbers (an LCG): the fuzz reruns the same inputs every time. */
function seeded(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return (s >>> 8) % n;
  };
}

const PIECES = [
  'SHOW',
  'SET',
  'DESC',
  'DESCRIBE',
  'DROP',
  'TEMPORARY',
  'CREATE',
  'TABLE',
  'TABLES',
  'FULL',
  'COLUMNS',
  'INDEX',
  'STATUS',
  'FROM',
  'IN',
  'LIKE',
  'WHERE',
  'NAMES',
  'COLLATE',
  'CHARACTER',
  'TRANSACTION',
  'READ',
  'ONLY',
  'XA',
  'START',
  'SAVEPOINT',
  'ROLLBACK',
  'TO',
  'ANALYZE',
  'CHECKSUM',
  'KILL',
  'QUERY',
  'AS',
  'SELECT',
  'IF',
  'EXISTS',
  'acc',
  'acc_other',
  '`acc_other`',
  't',
  '`t`',
  '.',
  ',',
  ';',
  '=',
  ':=',
  '?',
  '@x',
  '@`y`',
  '@@session.z',
  "'s'",
  "'a\\'",
  '"acc_other"',
  '(',
  ')',
  '*',
  '-',
  '1',
  '/*!',
  '*/',
  '/* c */',
  '-- ',
  '#',
  '\n',
  '`',
  "'",
  '@',
  'é',
];

/** The word acc_other in a text without strings or comments (which could hide it). */
function namesOther(sql: string): boolean {
  if (/'|#|--|\/\*/.test(sql)) return false;
  return /(^|[^A-Za-z0-9_$])acc_other(?![A-Za-z0-9_$])/.test(sql.replaceAll('`', ' '));
}

test('seeded fuzz: the recognizer never throws, and never lets acc_other through unchecked', () => {
  const rand = seeded(0x15ec0);
  const ctx = context([acc]);
  let recognized = 0;
  for (let i = 0; i < 20000; i++) {
    // A recognized form with a few words replaced, inserted or dropped, or a soup of pieces.
    const parts =
      rand(5) === 0 ? [] : EVERYDAY[rand(EVERYDAY.length)]![0].split(' ').map((w) => w.replace(/\bacc\b/, 'acc_other'));
    const edits = parts.length === 0 ? 1 + rand(10) : rand(3);
    for (let j = 0; j < edits; j++) {
      const at = rand(parts.length + 1);
      const piece = PIECES[rand(PIECES.length)]!;
      const how = parts.length === 0 ? 1 : rand(3);
      if (how === 0) parts[at] = piece;
      else if (how === 1) parts.splice(at, 0, piece);
      else parts.splice(at, 1);
    }
    const sql = parts.join(rand(8) === 0 ? '' : ' ');
    const exposed = exposeExecutableComments(sql);
    const read = recognizeStatement(exposed);
    if (read === undefined) continue;
    recognized++;
    // Every acc_other the text names is among what the recognizer returns, as a schema or a name.
    if (namesOther(exposed) && read.select === undefined) {
      const seen = read.objects.some((o) => o.schema === 'acc_other' || o.name === 'acc_other');
      assert.ok(seen, `${JSON.stringify(sql)}: ${JSON.stringify(read.objects)}`);
    }
    // Through the policy (parser first, recognizer second), a schema acc_other is never forwarded.
    const v = decideStatement(sql, false, ctx);
    if (v.kind === 'forward') {
      const a = analyzeSql(sql);
      if (a.kind === 'parsed') {
        for (const s of a.statements) for (const o of s.objects) assert.notEqual(o.schema, 'acc_other', sql);
      }
    }
  }
  // The vocabulary does reach the recognized forms (the fuzz is not all rejections).
  assert.ok(recognized > 300, `only ${recognized} recognized`);
});

test('seeded fuzz: random characters never make the recognizer throw', () => {
  const rand = seeded(0xc0ffee);
  const alphabet = 'SHOWTABLESFROMacc_other `\'"@?.,;=()-/*!#\n\\é\u0000';
  for (let i = 0; i < 5000; i++) {
    let sql = '';
    const len = rand(40);
    for (let j = 0; j < len; j++) sql += alphabet[rand(alphabet.length)];
    const read = recognizeStatement(sql);
    assert.ok(read === undefined || Array.isArray(read.objects));
  }
});
