// MySQL and MariaDB run what is inside `/*! … */`, `/*!50700 … */` and `/*M!100201 … */`
// (https://mariadb.com/kb/en/comment-syntax/); the SQL parser in use reads them as comments.
// Before parsing, the markers are blanked out so their content is read as the code it is. A
// version-guarded block is always read as code: a block the server would skip may be refused,
// never one it would run let through.

/** Index just past the quoted run ('…', "…", `…`) that starts at `at`; the text's end when it never closes. */
export function skipQuoted(sql: string, at: number): number {
  const quote = sql[at];
  let i = at + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '\\' && quote !== '`') i += 2;
    else if (ch === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** Length of an executable comment's opener at `at` ('/*!', '/*M!' and version digits), or 0. */
export function executableOpenerLength(sql: string, at: number): number {
  if (sql[at] !== '/' || sql[at + 1] !== '*') return 0;
  let i = at + 2;
  if (sql[i] === 'M') i++;
  if (sql[i] !== '!') return 0;
  i++;
  while (i < sql.length && sql.charCodeAt(i) >= 0x30 && sql.charCodeAt(i) <= 0x39) i++;
  return i - at;
}

/** The text with executable-comment markers replaced by spaces; the text itself when it has none. */
export function exposeExecutableComments(sql: string): string {
  if (!sql.includes('/*')) return sql;
  let out = '';
  let from = 0;
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
    } else if (c === '/' && sql[i + 1] === '*') {
      const opener = executableOpenerLength(sql, i);
      if (opener > 0) {
        out += `${sql.slice(from, i)}${' '.repeat(opener)}`;
        i += opener;
        from = i;
        depth++;
      } else {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? sql.length : end + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/' && depth > 0) {
      out += `${sql.slice(from, i)}  `;
      i += 2;
      from = i;
      depth--;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && /[\s]/.test(sql[i + 2] ?? ' '))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else {
      i++;
    }
  }
  return from === 0 ? sql : out + sql.slice(from);
}
