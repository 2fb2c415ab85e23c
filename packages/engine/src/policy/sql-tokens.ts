// The tokens of one short statement, for the fixed-form recognizer (recognized-statements.ts).
// Deliberately narrow: anything whose reading could depend on the session's sql_mode is not a
// token, so the whole text is left to the parser's verdict (unparsed). That is a "…" run (a string,
// or an identifier under ANSI_QUOTES), and a '…' string holding a backslash (an escape, or a
// plain character under NO_BACKSLASH_ESCAPES: the string would end in a different place).
import { skipSpace } from '../session/leading-statement.js';

/** Where a token starts in the text. */
interface At {
  readonly start: number;
}

export type SqlToken = At &
  /** A bare word: keyword, identifier or number; `upper` is its upper-case form. */
  (
    | { readonly kind: 'word'; readonly text: string; readonly upper: string }
    /** A `back-quoted` identifier, unquoted. */
    | { readonly kind: 'quoted'; readonly text: string }
    | { readonly kind: 'string' }
    /** A `?` placeholder (prepared statements, and the cache's digest of a literal). */
    | { readonly kind: 'param' }
    /** A user variable: @x, @`x`, @'x'. */
    | { readonly kind: 'user-var' }
    /** A system variable: @@x, @@session.x. */
    | { readonly kind: 'system-var' }
    | { readonly kind: 'punct'; readonly text: string }
  );

export interface SqlTokens {
  readonly tokens: SqlToken[];
  /** False when reading stopped before the end: past the limit, or at something not a token. */
  readonly complete: boolean;
}

const PUNCT = new Set([',', '.', '=', '(', ')', ';', '*', '-', '+']);

/** A character of a bare word (identifier, keyword or number): [0-9A-Za-z_$] and non-ASCII. */
export function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f /* _ */ ||
    c === 0x24 /* $ */ ||
    c >= 0x80
  );
}

/** Index past the quoted run at `at`, with `inner` its content; undefined when it does not close. */
function readQuoted(sql: string, at: number): { end: number; inner: string } | undefined {
  const quote = sql[at]!;
  let inner = '';
  let i = at + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === quote) {
      if (sql[i + 1] !== quote) return { end: i + 1, inner };
      inner += quote;
      i += 2;
    } else {
      inner += ch;
      i++;
    }
  }
  return undefined;
}

function readWord(sql: string, at: number): number {
  let i = at;
  while (i < sql.length && isWordChar(sql.charCodeAt(i))) i++;
  return i;
}

/**
 * The tokens of `sql` (executable comments already exposed), up to the first thing outside the
 * narrow set above, and at most `limit` of them: the recognized forms are short.
 */
export function tokenizeSql(sql: string, limit = 64): SqlTokens {
  const out: SqlToken[] = [];
  const stop = (): SqlTokens => ({ tokens: out, complete: false });
  let i = skipSpace(sql, 0);
  while (i < sql.length) {
    if (out.length >= limit) return stop();
    const c = sql[i]!;
    const start = i;
    if (c === '`' || c === "'") {
      const q = readQuoted(sql, i);
      if (q === undefined) return stop();
      if (c === "'" && q.inner.includes('\\')) return stop();
      out.push(c === '`' ? { kind: 'quoted', text: q.inner, start } : { kind: 'string', start });
      i = q.end;
    } else if (c === '?') {
      out.push({ kind: 'param', start });
      i++;
    } else if (c === '@') {
      const system = sql[i + 1] === '@';
      let j = i + (system ? 2 : 1);
      if (!system && (sql[j] === '`' || sql[j] === "'")) {
        const q = readQuoted(sql, j);
        if (q === undefined || q.inner.includes('\\')) return stop();
        j = q.end;
      } else {
        const end = readWord(sql, j);
        if (end === j) return stop();
        j = end;
        // @@session.x: one scope part.
        if (system && sql[j] === '.' && isWordChar(sql.charCodeAt(j + 1))) j = readWord(sql, j + 1);
      }
      out.push({ kind: system ? 'system-var' : 'user-var', start });
      i = j;
    } else if (isWordChar(sql.charCodeAt(i))) {
      const end = readWord(sql, i);
      const text = sql.slice(i, end);
      out.push({ kind: 'word', text, upper: text.toUpperCase(), start });
      i = end;
    } else if (c === ':' && sql[i + 1] === '=') {
      out.push({ kind: 'punct', text: '=', start });
      i += 2;
    } else if (PUNCT.has(c)) {
      out.push({ kind: 'punct', text: c, start });
      i++;
    } else {
      return stop();
    }
    i = skipSpace(sql, i);
  }
  return { tokens: out, complete: true };
}
