import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisCache } from '../../src/policy/analysis-cache.js';
import { readLeadingWords } from '../../src/policy/leading-words.js';
import { analyzeSql, type SqlAnalysis } from '../../src/policy/sql-analysis.js';
import { digestSql } from '../../src/policy/sql-digest.js';

function names(a: SqlAnalysis): string[] {
  assert.equal(a.kind, 'parsed', a.kind === 'unparsed' ? a.reason : '');
  if (a.kind !== 'parsed') return [];
  return a.statements.flatMap((s) => [
    ...(s.use === undefined ? [] : [`use:${s.use}`]),
    ...s.objects.map((o) => `${o.kind}:${o.schema ?? '-'}.${o.name}`),
  ]);
}

test('every schema-qualified name is found: FROM, JOIN, subquery, CTE, DML, CALL, functions, GRANT', () => {
  assert.deepEqual(names(analyzeSql('SELECT x FROM acc_other.secret')), ['table:acc_other.secret']);
  assert.deepEqual(names(analyzeSql('SELECT a.x FROM t a JOIN acc_other.s b ON a.id = b.id')).sort(), [
    'table:-.t',
    'table:acc_other.s',
  ]);
  assert.deepEqual(names(analyzeSql('SELECT * FROM t WHERE id IN (SELECT id FROM `acc_other`.`s`)')).sort(), [
    'table:-.t',
    'table:acc_other.s',
  ]);
  // The CTE's own name is not a table of the current schema.
  assert.deepEqual(names(analyzeSql('WITH c AS (SELECT * FROM acc_other.t) SELECT * FROM c')), ['table:acc_other.t']);
  assert.deepEqual(names(analyzeSql('CALL acc_other.p()')), ['routine:acc_other.p']);
  assert.deepEqual(names(analyzeSql('CALL p(1)')), ['routine:-.p']);
  assert.deepEqual(names(analyzeSql('SELECT acc_other.f(1), COUNT(*) FROM t')).sort(), [
    'routine:acc_other.f',
    'table:-.t',
  ]);
  assert.deepEqual(names(analyzeSql('GRANT SELECT ON acc_other.* TO bob')), ['grant:acc_other.*']);
  assert.deepEqual(names(analyzeSql('GRANT SELECT ON *.* TO bob')), ['grant:*.*']);
  assert.deepEqual(names(analyzeSql('UPDATE t JOIN acc_other.s USING (id) SET t.a = 1')).sort(), [
    'table:-.t',
    'table:acc_other.s',
  ]);
  assert.deepEqual(names(analyzeSql("LOAD DATA INFILE 'x' INTO TABLE acc_other.t")), ['table:acc_other.t']);
});

test('USE in a multi-statement is kept in order with the statements after it', () => {
  assert.deepEqual(names(analyzeSql('USE acc; SELECT x FROM acc_other.t; SELECT y FROM t')), [
    'use:acc',
    'table:acc_other.t',
    'table:-.t',
  ]);
});

test('classes: OUTFILE and LOAD are classes of their own; DDL has a two-word class', () => {
  const classes = (sql: string): string[] => {
    const a = analyzeSql(sql);
    return a.kind === 'parsed' ? a.statements.flatMap((s) => s.classes) : ['unparsed', ...a.classes];
  };
  assert.deepEqual(classes("SELECT x FROM t INTO OUTFILE '/tmp/x'"), ['outfile']);
  assert.deepEqual(classes('SELECT 1'), ['select']);
  assert.deepEqual(classes('DROP TABLE acc.t'), ['drop', 'drop table']);
  assert.deepEqual(classes('INSERT INTO t VALUES (1)'), ['insert']);
  assert.deepEqual(classes('TRUNCATE TABLE t'), ['truncate']);
  // Not parsed by the parser in use: the leading keywords still classify them.
  assert.deepEqual(classes("ALTER USER bob IDENTIFIED BY 'x'"), ['unparsed', 'alter', 'alter user']);
  assert.deepEqual(classes('REVOKE SELECT ON acc_other.* FROM bob'), ['unparsed', 'revoke']);
});

test('leading words skip comments and read executable comments as code', () => {
  assert.deepEqual(readLeadingWords('/* hi */ -- x\n  drop /*!50000 TABLE */ t'), ['drop', 'drop table']);
  assert.deepEqual(readLeadingWords('/*!40101 alter*/ user bob'), ['alter', 'alter user']);
  assert.deepEqual(readLeadingWords('CREATE OR REPLACE DEFINER=`a`@`%` SQL SECURITY INVOKER VIEW v AS SELECT 1'), [
    'create',
    'create view',
  ]);
  assert.deepEqual(readLeadingWords('DESC t'), ['explain']);
  assert.deepEqual(readLeadingWords('frobnicate'), ['other']);
  assert.deepEqual(readLeadingWords(''), ['other']);
});

test('the cache answers repeated texts from memory and stays within its bound', () => {
  const cache = new AnalysisCache({ maxEntries: 2, maxTextLength: 40 });
  const first = cache.analyze('SELECT a');
  assert.equal(cache.analyze('SELECT a'), first);
  assert.equal(cache.hits, 1);
  cache.analyze('SELECT b');
  cache.analyze('SELECT a');
  cache.analyze('SELECT c');
  // SELECT b was the least recently used.
  assert.equal(cache.size, 2);
  const misses = cache.misses;
  cache.analyze('SELECT b');
  assert.equal(cache.misses, misses + 1);
  cache.analyze(`SELECT ${'x'.repeat(50)}`);
  assert.equal(cache.size, 2);
});

test('seeded random text never throws out of the analysis (fuzz)', () => {
  let seed = 0x5eed15;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const pieces = [
    'SELECT',
    ' ',
    'FROM',
    'acc_other',
    '.',
    't',
    '`',
    "'",
    '"',
    '(',
    ')',
    ';',
    'USE',
    '/*!',
    '*/',
    '--',
    '\n',
    'CALL',
    '*',
    ',',
    'JOIN',
    'x',
    '\u00e9',
    '\\',
    'GRANT',
    'ON',
    'TO',
  ];
  for (let i = 0; i < 2000; i++) {
    let sql = '';
    const n = next() % 12;
    for (let j = 0; j < n; j++) sql += pieces[next() % pieces.length];
    const a = analyzeSql(sql);
    assert.ok(a.kind === 'parsed' || a.kind === 'unparsed');
    if (a.kind === 'unparsed') assert.ok(a.classes.length > 0);
  }
});

test('the digest takes out numbers and strings, keeps names, comments and executable comments', () => {
  assert.equal(digestSql('SELECT c FROM sbtest1 WHERE id=17'), 'SELECT c FROM sbtest1 WHERE id=?');
  assert.equal(
    digestSql("SELECT 'a''b\\'c', `x'y`, \"q'r\" FROM db1.t2 WHERE 2024_s.t = 5"),
    'SELECT ?, `x\'y`, "q\'r" FROM db1.t2 WHERE 2024_s.t = ?',
  );
  assert.equal(digestSql("/* 'x' */ SELECT 1 -- '2'\n"), "/* 'x' */ SELECT ? -- '2'\n");
  assert.equal(digestSql("/*!50000 SELECT '1' */"), '/*!50000 SELECT ? */');
  assert.equal(digestSql('SELECT x FROM t'), 'SELECT x FROM t');
});

test('texts that share a digest share one entry; a literal used as a name is never cached under it', () => {
  const cache = new AnalysisCache();
  cache.analyze('SELECT c FROM sbtest1 WHERE id=17');
  cache.analyze('SELECT c FROM sbtest1 WHERE id=42');
  assert.equal(cache.hits, 1);
  // The parser reads 'acc_other' as a schema here; its digest (FROM ?.t) does not parse.
  assert.deepEqual(names(cache.analyze("SELECT * FROM 'acc_other'.t")), ['table:acc_other.t']);
  assert.deepEqual(names(cache.analyze("SELECT * FROM 'acc'.t")), ['table:acc.t']);
  assert.deepEqual(names(cache.analyze("USE 'acc_other'")), ['use:acc_other']);
  assert.deepEqual(names(cache.analyze("USE 'acc'")), ['use:acc']);
  // Executable comments are code to the server, and so to the check.
  assert.deepEqual(names(cache.analyze('SELECT 1 /*! , (SELECT x FROM acc_other.secret) */')), [
    'table:acc_other.secret',
  ]);
  assert.deepEqual(names(analyzeSql('/*M!100000 SELECT * FROM acc_other.t */')), ['table:acc_other.t']);
  // A comment that only looks executable is a comment: the quote inside it hides nothing.
  assert.deepEqual(names(cache.analyze("/*My 'c */ SELECT x FROM acc_other.t /* ' */")), ['table:acc_other.t']);
});
