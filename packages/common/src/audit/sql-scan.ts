// A small SQL lexer for redaction only: it knows where string literals, comments and
// placeholders are, which is all redaction needs. It follows the MySQL/MariaDB lexical rules:
// https://dev.mysql.com/doc/refman/8.4/en/comments.html and
// https://dev.mysql.com/doc/refman/8.4/en/string-literals.html
// It never throws: anything it does not recognise is a one-character punctuation token.

export const SqlTokenKind = {
  Word: 0, // keyword or unquoted identifier (upper-cased in `word`)
  String: 1, // '…' or "…", with a charset introducer or N/X/B prefix when one touches it
  Placeholder: 2, // ? in a prepared statement
  Punct: 3, // any other single character
  Quoted: 4, // `identifier`
} as const;
export type SqlTokenKind = (typeof SqlTokenKind)[keyof typeof SqlTokenKind];

export interface SqlToken {
  kind: SqlTokenKind;
  start: number;
  end: number;
  /** Upper-cased text of a Word, the character of a Punct, '' otherwise. */
  word: string;
}

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  );
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The index just past a quoted run starting at `i` (the opening quote); EOF when unterminated. */
function skipQuoted(sql: string, i: number, quote: number, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (c === 0x5c && backslashEscapes && quote !== 0x60) {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/**
 * Calls `onToken` for each significant token of `sql` (comments and spaces are skipped;
 * the inside of an executable comment such as `/*!50000 … *\/` is code and is scanned).
 * `backslashEscapes` is false under sql_mode NO_BACKSLASH_ESCAPES.
 */
export function scanSql(sql: string, backslashEscapes: boolean, onToken: (token: SqlToken) => void): void {
  const n = sql.length;
  let i = 0;
  let inExecutableComment = false;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 0x23 /* # */) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d && (i + 2 >= n || sql.charCodeAt(i + 2) <= 0x20)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a /* slash-star */) {
      const bang = sql.charCodeAt(i + 2) === 0x21 ? 3 : sql.startsWith('M!', i + 2) ? 4 : 0;
      if (bang > 0 && !inExecutableComment) {
        i += bang;
        while (i < n && sql.charCodeAt(i) >= 0x30 && sql.charCodeAt(i) <= 0x39) i++;
        inExecutableComment = true;
      } else {
        const close = sql.indexOf('*/', i + 2);
        i = close < 0 ? n : close + 2;
      }
    } else if (inExecutableComment && c === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
      inExecutableComment = false;
      i += 2;
    } else if (c === 0x27 || c === 0x22) {
      const end = skipQuoted(sql, i, c, backslashEscapes);
      onToken({ kind: SqlTokenKind.String, start: i, end, word: '' });
      i = end;
    } else if (c === 0x60) {
      const end = skipQuoted(sql, i, c, false);
      onToken({ kind: SqlTokenKind.Quoted, start: i, end, word: '' });
      i = end;
    } else if (c === 0x3f) {
      onToken({ kind: SqlTokenKind.Placeholder, start: i, end: i + 1, word: '' });
      i++;
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j).toUpperCase();
      const next = sql.charCodeAt(j);
      // _utf8mb4'x', N'x', X'41', B'01': the prefix belongs to the literal.
      if ((next === 0x27 || next === 0x22) && (word.startsWith('_') || word === 'N' || word === 'X' || word === 'B')) {
        const end = skipQuoted(sql, j, next, backslashEscapes);
        onToken({ kind: SqlTokenKind.String, start: i, end, word: '' });
        i = end;
      } else {
        onToken({ kind: SqlTokenKind.Word, start: i, end: j, word });
        i = j;
      }
    } else {
      onToken({ kind: SqlTokenKind.Punct, start: i, end: i + 1, word: sql[i]! });
      i++;
    }
  }
}
