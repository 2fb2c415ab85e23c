// `SELECT @`x``, `SET @`x` = …`: MySQL lets a user variable's name be back-quoted; the parser in
// use reads only the bare form. A user variable names no schema, so a back-quoted name made only
// of identifier characters is written bare before a second parse. Quoted runs and comments are
// stepped over as the parser reads them, so nothing inside a string or identifier changes.
import { skipQuoted } from './executable-comments.js';

const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The text with @`name` written @name; the text itself when it has none. */
export function unquoteUserVariables(sql: string): string {
  if (!sql.includes('@`')) return sql;
  let out = '';
  let from = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && /\s/.test(sql[i + 2] ?? ' '))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '@' && sql[i + 1] === '`' && sql[i - 1] !== '@') {
      const end = skipQuoted(sql, i + 1);
      const name = sql.slice(i + 2, end - 1);
      if (sql[end - 1] === '`' && end - 1 > i + 1 && BARE_NAME.test(name)) {
        out += `${sql.slice(from, i)}@${name}`;
        from = end;
      }
      i = end;
    } else {
      i++;
    }
  }
  return from === 0 ? sql : out + sql.slice(from);
}
