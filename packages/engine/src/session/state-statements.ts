// Reads, from a COM_QUERY's text, what the server's session tracking does not report but a
// migration must know: user variables assigned (their values are read back when the session
// moves), LOCK TABLES, temporary tables and GET_LOCK, which pin a session to its connection, and
// SQL-level prepared statements (PREPARE name FROM '…'), which a migration prepares again.
// Lexical only, like the policy's readers: quoted text is skipped, executable comments are code.
// A miss errs towards "not migratable" wherever it can (a GET_LOCK whose name is not a literal
// counts as holding a lock until RELEASE_ALL_LOCKS).
import { skipQuoted } from '../policy/executable-comments.js';
import { skipSpace } from './leading-statement.js';
import { splitStatements } from './statement-texts.js';

export type StatementEffect =
  | { readonly kind: 'user-variable'; readonly name: string }
  | { readonly kind: 'lock-tables' }
  | { readonly kind: 'unlock-tables' }
  | { readonly kind: 'begin' }
  | { readonly kind: 'create-temporary'; readonly name: string }
  | { readonly kind: 'drop-table'; readonly name: string }
  | { readonly kind: 'get-lock'; readonly name: string | undefined }
  | { readonly kind: 'release-lock'; readonly name: string | undefined }
  | { readonly kind: 'release-all-locks' }
  /** PREPARE name FROM …: `statement` is the whole PREPARE, to run again; undefined when FROM @var. */
  | { readonly kind: 'sql-prepare'; readonly name: string; readonly statement: string | undefined }
  | { readonly kind: 'sql-deallocate'; readonly name: string };

/** Nearly every query (point selects) has none of these: one test and no allocation. */
const MAYBE = /@|lock|temporary|drop|begin|start|prepare/i;

const LOCK = /^lock\s+tables?\b/i;
const UNLOCK = /^unlock\s+tables?\b/i;
const BEGIN = /^(?:begin\b(?!\s+not\s+atomic)|start\s+transaction\b)/i;
const CREATE_TEMPORARY = /^create\s+(?:or\s+replace\s+)?temporary\s+table\s+(?:if\s+not\s+exists\s+)?/i;
const DROP_TABLE = /^drop\s+(?:temporary\s+)?tables?\s+(?:if\s+exists\s+)?/i;
const LOCK_CALL = /\b(get_lock|release_lock|release_all_locks)\s*\(\s*/gi;
const NAME = /^(?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?/;
const VARIABLE_CHAR = /[\w$.]/;
const SQL_PREPARE = /^prepare\s+(`(?:[^`]|``)+`|[\w$]+)\s+from\s*/i;
const SQL_DEALLOCATE = /^(?:deallocate|drop)\s+prepare\s+(`(?:[^`]|``)+`|[\w$]+)/i;

export function statementEffects(sql: string): StatementEffect[] {
  if (!MAYBE.test(sql)) return [];
  const out: StatementEffect[] = [];
  for (const statement of splitStatements(sql)) readStatement(statement, out);
  return out;
}

function readStatement(sql: string, out: StatementEffect[]): void {
  const at = skipSpace(sql, 0);
  const text = at === 0 ? sql : sql.slice(at);
  if (LOCK.test(text)) out.push({ kind: 'lock-tables' });
  else if (UNLOCK.test(text)) out.push({ kind: 'unlock-tables' });
  else if (BEGIN.test(text)) out.push({ kind: 'begin' });
  else if (readSqlPrepare(text, out)) return;
  else {
    const create = CREATE_TEMPORARY.exec(text);
    if (create !== null) {
      const name = readName(text.slice(create[0].length));
      if (name !== undefined) out.push({ kind: 'create-temporary', name });
    }
    const drop = DROP_TABLE.exec(text);
    if (drop !== null)
      for (const name of readNameList(text.slice(drop[0].length))) out.push({ kind: 'drop-table', name });
  }
  readUserVariables(text, out);
  readLockCalls(text, out);
}

/** PREPARE / DEALLOCATE PREPARE; true when the statement was one (its text is not read further). */
function readSqlPrepare(text: string, out: StatementEffect[]): boolean {
  const prepare = SQL_PREPARE.exec(text);
  if (prepare !== null) {
    const name = readName(prepare[1]!) ?? '';
    const source = text[prepare[0].length];
    // From a literal it can be prepared again as written; from @var only if the variable still
    // holds the same text, which the engine cannot know.
    const literal = source === "'" || source === '"';
    out.push({ kind: 'sql-prepare', name, statement: literal ? text.trim() : undefined });
    return true;
  }
  const deallocate = SQL_DEALLOCATE.exec(text);
  if (deallocate !== null) {
    out.push({ kind: 'sql-deallocate', name: readName(deallocate[1]!) ?? '' });
    return true;
  }
  return false;
}

/** A table name as written, without backticks, lower case; schema-qualified names keep the dot. */
function readName(text: string): string | undefined {
  const m = NAME.exec(text);
  if (m === null) return undefined;
  return m[0]
    .replace(/\s+/g, '')
    .replace(/`((?:[^`]|``)+)`/g, (_, inner: string) => inner.replace(/``/g, '`'))
    .toLowerCase();
}

function readNameList(text: string): string[] {
  const names: string[] = [];
  let rest = text;
  for (;;) {
    const m = NAME.exec(rest);
    if (m === null) return names;
    const name = readName(m[0]);
    if (name !== undefined) names.push(name);
    rest = rest.slice(m[0].length).replace(/^\s*/, '');
    if (rest[0] !== ',') return names;
    rest = rest.slice(1).replace(/^\s*/, '');
  }
}

/** Every `@name` outside quotes that is not a system variable (`@@x`). */
function readUserVariables(sql: string, out: StatementEffect[]): void {
  if (!sql.includes('@')) return;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
      continue;
    }
    if (c !== '@') {
      i++;
      continue;
    }
    if (sql[i + 1] === '@') {
      // A system variable: skip its name so that `@@x` is not read as `@x`.
      i += 2;
      while (i < sql.length && VARIABLE_CHAR.test(sql[i]!)) i++;
      continue;
    }
    if (isAccountHost(sql, i)) {
      // `'bob'@'%'`, `bob@localhost`: the host of an account name, not a variable.
      i++;
      continue;
    }
    const q = sql[i + 1];
    if (q === "'" || q === '"' || q === '`') {
      const end = skipQuoted(sql, i + 1);
      const name = sql.slice(i + 2, end - 1).replaceAll(q + q, q);
      if (name.length > 0) out.push({ kind: 'user-variable', name: name.toLowerCase() });
      i = end;
      continue;
    }
    let j = i + 1;
    while (j < sql.length && VARIABLE_CHAR.test(sql[j]!)) j++;
    if (j > i + 1) out.push({ kind: 'user-variable', name: sql.slice(i + 1, j).toLowerCase() });
    i = j;
  }
}

/** `user@host` in GRANT/CREATE USER: the `@` follows a name with no space. */
function isAccountHost(sql: string, at: number): boolean {
  const before = sql[at - 1];
  return before !== undefined && /[\w'"`]/.test(before);
}

function readLockCalls(sql: string, out: StatementEffect[]): void {
  if (!/lock/i.test(sql)) return;
  LOCK_CALL.lastIndex = 0;
  for (let m = LOCK_CALL.exec(sql); m !== null; m = LOCK_CALL.exec(sql)) {
    const fn = m[1]!.toLowerCase();
    if (fn === 'release_all_locks') {
      out.push({ kind: 'release-all-locks' });
      continue;
    }
    const at = m.index + m[0].length;
    const q = sql[at];
    let name: string | undefined;
    if (q === "'" || q === '"') {
      const end = skipQuoted(sql, at);
      name = sql
        .slice(at + 1, end - 1)
        .replaceAll(q + q, q)
        .toLowerCase();
    }
    out.push(fn === 'get_lock' ? { kind: 'get-lock', name } : { kind: 'release-lock', name });
  }
}
