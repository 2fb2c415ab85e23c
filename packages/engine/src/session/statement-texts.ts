// The SQL texts a COM_QUERY or COM_STMT_PREPARE may run, for the policies that must see every
// statement and not only the first: each statement of a multi-statement text, and the literal
// text of `PREPARE name FROM '…'` and `EXECUTE IMMEDIATE '…'`, which the server runs as SQL.
// Only the lexical rules that decide where a statement ends are followed: quotes ('…', "…",
// `…`, with doubled quotes and backslash escapes), ordinary comments (executable ones are code:
// the server runs them) and the `;` separator. https://mariadb.com/kb/en/comment-syntax/
import { executableOpenerLength, skipQuoted } from '../policy/executable-comments.js';
import { skipSpace } from './leading-statement.js';

/** Each statement's text, in order, without its `;` (empty statements left out). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && /[\s]/.test(sql[i + 2] ?? ' '))) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*' && executableOpenerLength(sql, i) === 0) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === ';') {
      pushStatement(out, sql.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  pushStatement(out, sql.slice(start));
  return out;
}

function pushStatement(out: string[], text: string): void {
  if (skipSpace(text, 0) < text.length) out.push(text);
}

/** The value of the string literal at `at` ('…' or "…"), or undefined when there is none. */
function readStringLiteral(sql: string, at: number): string | undefined {
  const quote = sql[at];
  if (quote !== "'" && quote !== '"') return undefined;
  let out = '';
  let i = at + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\') {
      out += sql[i + 1] ?? '';
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] !== quote) return out;
      out += quote;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return undefined;
}

const PREPARE_FROM = /^prepare\s+(?:`[^`]*`|\w+)\s+from\s*/i;
const EXECUTE_IMMEDIATE = /^execute\s+immediate\s*/i;

/**
 * For `PREPARE s FROM '…'` and `EXECUTE IMMEDIATE '…'`: the SQL text the server will run.
 * `dynamic` when the text comes from an expression (a user variable, CONCAT…) that the gateway
 * cannot read; undefined for any other statement.
 */
export function readDynamicSql(statement: string): { readonly sql: string } | { readonly dynamic: true } | undefined {
  const start = skipSpace(statement, 0);
  const rest = statement.slice(start);
  const match = PREPARE_FROM.exec(rest) ?? EXECUTE_IMMEDIATE.exec(rest);
  if (match === null) return undefined;
  const literal = readStringLiteral(rest, match[0].length);
  return literal === undefined ? { dynamic: true } : { sql: literal };
}
