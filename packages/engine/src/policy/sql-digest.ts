// A statement's shape with its literals taken out: numbers and '…' strings become `?`, so
// `SELECT c FROM sbtest1 WHERE id=17` and `…id=42` share one cache entry. Identifiers (bare,
// `back-ticked`, "double-quoted", which are identifiers under ANSI_QUOTES) and comments are kept
// as written, so a digest names exactly the schemas and tables its text names. A literal where
// the grammar wants a name (USE 'x', OUTFILE 'path') makes the digest unparseable, and the
// caller then reads the original text instead.
import { executableOpenerLength } from './executable-comments.js';
import { isWordChar } from './sql-tokens.js';

/** Index past a quoted run starting at `at` (the quote); `\` escapes inside '…' and "…". */
function skipQuoted(sql: string, at: number, quote: string, escapes: boolean): number {
  let i = at + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (escapes && ch === '\\') i += 2;
    else if (ch === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** The digest, or the text itself when it holds no literal to take out. */
export function digestSql(sql: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 /* ' */) {
      const end = skipQuoted(sql, i, "'", true);
      out += `${sql.slice(from, i)}?`;
      i = end;
      from = end;
    } else if (c === 0x22 /* " */ || c === 0x60 /* ` */) {
      i = skipQuoted(sql, i, sql[i]!, c === 0x22);
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a) {
      // `/*!50700` and `/*M!` are code (their version digits are not literals); others are comments.
      const opener = executableOpenerLength(sql, i);
      const end = opener > 0 ? i + opener : sql.indexOf('*/', i + 2);
      i = opener > 0 ? end : end < 0 ? n : end + 2;
    } else if (c === 0x23 /* # */ || (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (isWordChar(c)) {
      let j = i;
      let digits = true;
      while (j < n && isWordChar(sql.charCodeAt(j))) {
        const d = sql.charCodeAt(j);
        if (d < 0x30 || d > 0x39) digits = false;
        j++;
      }
      // A run of digits alone is a number (an identifier may start with digits but not be
      // only digits); after '.' it is part of a qualified name or a decimal, left alone.
      if (digits && sql[i - 1] !== '.') {
        out += `${sql.slice(from, i)}?`;
        from = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  return from === 0 ? sql : out + sql.slice(from);
}
