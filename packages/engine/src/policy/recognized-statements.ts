// Statements that clients, GUIs and ORMs send all the time but the SQL parser in use cannot read
// (SET NAMES, SHOW TABLES FROM db, DESCRIBE db.t, SAVEPOINT, XA, DROP TEMPORARY TABLE, …). Each
// form below names no schema, or names it only in a fixed position; the recognizer reads the
// whole text as exactly one of these forms and returns what it names, or undefined. Undefined
// leaves the statement unparsed (options.unparsed_statements decides), so a form read wrongly
// can only be refused, never let through: the text must be consumed to its end, value positions
// take only literals, placeholders and variables (never an expression, which could hold a
// subquery), and WHERE filters on SHOW are not recognized. docs/rbac-and-store.md lists the forms.
import type { NamedObject } from './sql-analysis.js';
import { type SqlToken, type SqlTokens, tokenizeSql } from './sql-tokens.js';

export interface RecognizedStatement {
  readonly objects: NamedObject[];
  /**
   * CREATE TABLE name [AS] SELECT …: the text of the SELECT, which the caller must parse (and
   * refuse the whole statement when it cannot); the recognizer reads only the head.
   */
  readonly select?: string;
}

/** Thrown inside the recognizer only, when the text leaves the form being read. */
class NotThisForm extends Error {}
const NOT_THIS_FORM = new NotThisForm();

class Reader {
  at = 0;
  readonly objects: NamedObject[] = [];
  readonly tokens: readonly SqlToken[];
  readonly complete: boolean;
  /** Set by CREATE TABLE … SELECT: where the SELECT starts. */
  selectAt: number | undefined;
  constructor(read: SqlTokens) {
    this.tokens = read.tokens;
    this.complete = read.complete;
  }

  peekWord(): string | undefined {
    const t = this.tokens[this.at];
    return t?.kind === 'word' ? t.upper : undefined;
  }
  /** Consumes the keyword when it is next. */
  maybe(...words: string[]): string | undefined {
    const w = this.peekWord();
    if (w === undefined || !words.includes(w)) return undefined;
    this.at++;
    return w;
  }
  expect(...words: string[]): string {
    const w = this.maybe(...words);
    if (w === undefined) throw NOT_THIS_FORM;
    return w;
  }
  maybePunct(p: string): boolean {
    const t = this.tokens[this.at];
    if (t?.kind !== 'punct' || t.text !== p) return false;
    this.at++;
    return true;
  }
  /** One identifier: a bare word that is not a number, or a `quoted` one. */
  identifier(): string {
    const t = this.tokens[this.at];
    if (t?.kind === 'quoted') {
      this.at++;
      return t.text;
    }
    if (t?.kind === 'word' && !/^[0-9]+$/.test(t.text)) {
      this.at++;
      return t.text;
    }
    throw NOT_THIS_FORM;
  }
  /** name or schema.name. */
  qualified(): { schema: string | null; name: string } {
    const first = this.identifier();
    if (!this.maybePunct('.')) return { schema: null, name: first };
    return { schema: first, name: this.identifier() };
  }
  table(kind: NamedObject['kind'] = 'table'): { schema: string | null; name: string } {
    const q = this.qualified();
    this.objects.push({ schema: q.schema, name: q.name, kind });
    return q;
  }
  /** A schema by itself (null: the current one). */
  schema(schema: string | null): void {
    this.objects.push({ schema, name: '', kind: 'database' });
  }
  /** A literal, placeholder or variable: what may stand in a value position. */
  value(): void {
    if (!this.maybePunct('-')) this.maybePunct('+');
    const t = this.tokens[this.at];
    if (t === undefined || t.kind === 'punct' || t.kind === 'quoted') throw NOT_THIS_FORM;
    this.at++;
  }
  /** A LIKE pattern: a string or its placeholder. */
  pattern(): void {
    const t = this.tokens[this.at];
    if (t?.kind !== 'string' && t?.kind !== 'param') throw NOT_THIS_FORM;
    this.at++;
  }
  maybeLike(): void {
    if (this.maybe('LIKE') !== undefined) this.pattern();
  }
  /** [FROM | IN] db; without it the current schema is the one named. */
  fromSchema(): void {
    this.schema(this.maybe('FROM', 'IN') === undefined ? null : this.identifier());
  }
  end(): boolean {
    this.maybePunct(';');
    return this.complete && this.at === this.tokens.length;
  }
}

/** A character set or collation name: SET NAMES utf8mb4, 'utf8', DEFAULT. */
function charsetName(r: Reader): void {
  const t = r.tokens[r.at];
  if (t?.kind !== 'word' && t?.kind !== 'string' && t?.kind !== 'param' && t?.kind !== 'quoted') throw NOT_THIS_FORM;
  r.at++;
}

function transactionCharacteristic(r: Reader): void {
  if (r.maybe('ISOLATION') !== undefined) {
    r.expect('LEVEL');
    const level = r.expect('READ', 'REPEATABLE', 'SERIALIZABLE');
    if (level === 'READ') r.expect('UNCOMMITTED', 'COMMITTED');
    else if (level === 'REPEATABLE') r.expect('READ');
    return;
  }
  r.expect('READ');
  r.expect('ONLY', 'WRITE');
}

/** SET NAMES / CHARACTER SET / TRANSACTION, and assignments of plain values to variables. */
function readSet(r: Reader): void {
  if (r.maybe('NAMES') !== undefined) {
    charsetName(r);
    if (r.maybe('COLLATE') !== undefined) charsetName(r);
    return;
  }
  if (r.maybe('CHARACTER') !== undefined) r.expect('SET');
  else if (r.maybe('CHARSET') === undefined) {
    readAssignments(r);
    return;
  }
  charsetName(r);
}

/** [GLOBAL|SESSION|LOCAL] TRANSACTION …, or variable = value, … */
function readAssignments(r: Reader): void {
  r.maybe('GLOBAL', 'SESSION', 'LOCAL');
  if (r.maybe('TRANSACTION') !== undefined) {
    do transactionCharacteristic(r);
    while (r.maybePunct(','));
    return;
  }
  let first = true;
  do {
    if (!first) r.maybe('GLOBAL', 'SESSION', 'LOCAL');
    first = false;
    const t = r.tokens[r.at];
    if (t?.kind === 'user-var' || t?.kind === 'system-var') r.at++;
    else r.identifier();
    if (!r.maybePunct('=')) throw NOT_THIS_FORM;
    r.value();
  } while (r.maybePunct(','));
}

/** The SHOW forms: each names no schema, the current one, or one in a fixed place. */
function readShow(r: Reader): void {
  if (r.maybe('CREATE') !== undefined) {
    const what = r.expect(
      'TABLE',
      'VIEW',
      'SEQUENCE',
      'TRIGGER',
      'PROCEDURE',
      'FUNCTION',
      'EVENT',
      'DATABASE',
      'SCHEMA',
    );
    if (what === 'DATABASE' || what === 'SCHEMA') {
      if (r.maybe('IF') !== undefined) {
        r.expect('NOT');
        r.expect('EXISTS');
      }
      r.schema(r.identifier());
    } else {
      r.table(what === 'TABLE' || what === 'VIEW' || what === 'SEQUENCE' ? 'table' : 'object');
    }
    return;
  }
  const extended = r.maybe('EXTENDED') !== undefined;
  const full = r.maybe('FULL') !== undefined;
  const scoped = r.maybe('GLOBAL', 'SESSION', 'LOCAL') !== undefined;
  const what = r.expect(
    'TABLES',
    'COLUMNS',
    'FIELDS',
    'INDEX',
    'INDEXES',
    'KEYS',
    'TABLE',
    'OPEN',
    'TRIGGERS',
    'EVENTS',
    'PROCESSLIST',
    'WARNINGS',
    'ERRORS',
    'VARIABLES',
    'STATUS',
    'ENGINES',
    'STORAGE',
    'PROCEDURE',
    'FUNCTION',
    'DATABASES',
    'SCHEMAS',
    'PRIVILEGES',
    'PLUGINS',
  );
  // Which words may follow which: EXTENDED only before COLUMNS/INDEX, FULL before TABLES/COLUMNS/PROCESSLIST.
  const columns = what === 'COLUMNS' || what === 'FIELDS';
  const index = what === 'INDEX' || what === 'INDEXES' || what === 'KEYS';
  if (extended && !columns && !index) throw NOT_THIS_FORM;
  if (full && !columns && what !== 'TABLES' && what !== 'PROCESSLIST') throw NOT_THIS_FORM;
  if (scoped && what !== 'VARIABLES' && what !== 'STATUS') throw NOT_THIS_FORM;
  switch (what) {
    case 'TABLES':
    case 'TRIGGERS':
    case 'EVENTS':
      r.fromSchema();
      r.maybeLike();
      return;
    case 'TABLE':
      r.expect('STATUS');
      r.fromSchema();
      r.maybeLike();
      return;
    case 'OPEN':
      r.expect('TABLES');
      r.fromSchema();
      r.maybeLike();
      return;
    case 'COLUMNS':
    case 'FIELDS':
    case 'INDEX':
    case 'INDEXES':
    case 'KEYS': {
      r.expect('FROM', 'IN');
      const t = r.table();
      // SHOW COLUMNS FROM t FROM db: the table is db's t. Both schemas written are checked.
      if (r.maybe('FROM', 'IN') !== undefined) r.objects.push({ schema: r.identifier(), name: t.name, kind: 'table' });
      if (columns) r.maybeLike();
      return;
    }
    case 'WARNINGS':
    case 'ERRORS':
      if (r.maybe('LIMIT') !== undefined) {
        r.value();
        if (r.maybePunct(',') || r.maybe('OFFSET') !== undefined) r.value();
      }
      return;
    case 'STORAGE':
      r.expect('ENGINES');
      return;
    case 'PROCEDURE':
    case 'FUNCTION':
      r.expect('STATUS');
      r.maybeLike();
      return;
    case 'VARIABLES':
    case 'STATUS':
    case 'DATABASES':
    case 'SCHEMAS':
      r.maybeLike();
      return;
    default:
      // PROCESSLIST, ENGINES, PRIVILEGES, PLUGINS: nothing follows.
      return;
  }
}

/** Words after DESCRIBE/EXPLAIN that begin an explained statement, not a table name. */
const EXPLAINED = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'WITH', 'VALUES', 'TABLE']);
const EXPLAIN_OPTIONS = new Set(['EXTENDED', 'PARTITIONS', 'FORMAT', 'ANALYZE', 'FOR']);

/** DESCRIBE [db.]t [column | 'pattern']. */
function readDescribe(r: Reader): void {
  const w = r.peekWord();
  if (w !== undefined && (EXPLAINED.has(w) || EXPLAIN_OPTIONS.has(w))) throw NOT_THIS_FORM;
  r.table();
  const t = r.tokens[r.at];
  if (t?.kind === 'string' || t?.kind === 'param') r.at++;
  else if (t?.kind === 'word' || t?.kind === 'quoted') r.identifier();
}

function readTableList(r: Reader): void {
  do r.table();
  while (r.maybePunct(','));
}

/** XA START|BEGIN|END|PREPARE|COMMIT|ROLLBACK xid …, XA RECOVER: transaction ids, no names. */
function readXa(r: Reader): void {
  const verb = r.expect('START', 'BEGIN', 'END', 'PREPARE', 'COMMIT', 'ROLLBACK', 'RECOVER');
  if (verb === 'RECOVER') {
    if (r.maybe('FORMAT') !== undefined) {
      if (!r.maybePunct('=')) throw NOT_THIS_FORM;
      r.pattern();
    }
    return;
  }
  // xid: gtrid [, bqual [, formatID]]
  r.value();
  if (r.maybePunct(',')) {
    r.value();
    if (r.maybePunct(',')) r.value();
  }
  if (verb === 'START' || verb === 'BEGIN') r.maybe('JOIN', 'RESUME');
  else if (verb === 'END' && r.maybe('SUSPEND') !== undefined && r.maybe('FOR') !== undefined) r.expect('MIGRATE');
  else if (verb === 'COMMIT' && r.maybe('ONE') !== undefined) r.expect('PHASE');
}

/** Options after ANALYZE/CHECK/CHECKSUM/OPTIMIZE/REPAIR TABLE's list: keywords only. */
const MAINTENANCE_OPTIONS = new Set([
  'QUICK',
  'EXTENDED',
  'FAST',
  'MEDIUM',
  'CHANGED',
  'FOR',
  'UPGRADE',
  'USE_FRM',
  'PERSISTENT',
  'ALL',
]);

/**
 * CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] name [AS] SELECT …, the form without a
 * column list (the parser reads the one with it). Only the head is read here.
 */
function readCreateSelect(r: Reader): void {
  if (r.maybe('OR') !== undefined) r.expect('REPLACE');
  r.maybe('TEMPORARY');
  r.expect('TABLE');
  if (r.maybe('IF') !== undefined) {
    r.expect('NOT');
    r.expect('EXISTS');
  }
  r.table();
  r.maybe('AS');
  const next = r.tokens[r.at];
  if (next === undefined || (r.peekWord() !== 'SELECT' && r.peekWord() !== 'WITH')) throw NOT_THIS_FORM;
  r.selectAt = next.start;
}

/** KILL [HARD|SOFT] [CONNECTION|QUERY [ID]] n: a thread or query id (KILL USER is not read). */
function readKill(r: Reader): void {
  r.maybe('HARD', 'SOFT');
  if (r.maybe('QUERY') !== undefined) r.maybe('ID');
  else r.maybe('CONNECTION');
  const t = r.tokens[r.at];
  if (t?.kind === 'param' || (t?.kind === 'word' && /^[0-9]+$/.test(t.text))) r.at++;
  else throw NOT_THIS_FORM;
}

function readStatement(r: Reader): void {
  const verb = r.expect(
    'CREATE',
    'KILL',
    'SET',
    'SHOW',
    'DESC',
    'DESCRIBE',
    'EXPLAIN',
    'DROP',
    'START',
    'SAVEPOINT',
    'RELEASE',
    'ROLLBACK',
    'XA',
    'ANALYZE',
    'CHECK',
    'CHECKSUM',
    'OPTIMIZE',
    'REPAIR',
  );
  switch (verb) {
    case 'CREATE':
      readCreateSelect(r);
      return;
    case 'KILL':
      readKill(r);
      return;
    case 'SET':
      readSet(r);
      return;
    case 'SHOW':
      readShow(r);
      return;
    case 'DESC':
    case 'DESCRIBE':
    case 'EXPLAIN':
      readDescribe(r);
      return;
    case 'DROP':
      r.expect('TEMPORARY');
      r.expect('TABLE', 'TABLES');
      if (r.maybe('IF') !== undefined) r.expect('EXISTS');
      readTableList(r);
      r.maybe('RESTRICT', 'CASCADE');
      return;
    case 'START':
      r.expect('TRANSACTION');
      if (r.peekWord() === undefined) return;
      do {
        if (r.maybe('WITH') !== undefined) {
          r.expect('CONSISTENT');
          r.expect('SNAPSHOT');
        } else {
          r.expect('READ');
          r.expect('ONLY', 'WRITE');
        }
      } while (r.maybePunct(','));
      return;
    case 'SAVEPOINT':
      r.identifier();
      return;
    case 'RELEASE':
      r.expect('SAVEPOINT');
      r.identifier();
      return;
    case 'ROLLBACK':
      r.maybe('WORK');
      r.expect('TO');
      r.maybe('SAVEPOINT');
      r.identifier();
      return;
    case 'XA':
      readXa(r);
      return;
    default: {
      // ANALYZE | CHECK | CHECKSUM | OPTIMIZE | REPAIR [NO_WRITE_TO_BINLOG | LOCAL] TABLE t, …
      if (verb !== 'CHECK' && verb !== 'CHECKSUM') r.maybe('NO_WRITE_TO_BINLOG', 'LOCAL');
      r.expect('TABLE', 'TABLES');
      readTableList(r);
      while (r.maybe(...MAINTENANCE_OPTIONS) !== undefined) {}
      return;
    }
  }
}

/**
 * What one statement of a recognized form names, or undefined when the text is not exactly one
 * such statement. `sql` has its executable comments exposed. Never throws.
 */
export function recognizeStatement(sql: string): RecognizedStatement | undefined {
  const r = new Reader(tokenizeSql(sql));
  try {
    readStatement(r);
  } catch (err) {
    if (err instanceof NotThisForm) return undefined;
    throw err;
  }
  if (r.selectAt !== undefined) return { objects: r.objects, select: sql.slice(r.selectAt) };
  return r.end() ? { objects: r.objects } : undefined;
}
