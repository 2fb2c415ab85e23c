// Finds what a COM_QUERY's first statement is when policy cares: `USE db` (db_names re-check)
// and `KILL [CONNECTION|QUERY] id` (only the caller's own sessions). Leading whitespace and
// comments are skipped; MySQL's executable comments (`/*! … */`, `/*M! … */`) are read as code,
// since the server runs what is inside them. https://mariadb.com/kb/en/comment-syntax/

export type LeadingStatement =
  | { readonly kind: 'use'; readonly schema: string }
  | { readonly kind: 'kill'; readonly target: 'connection' | 'query'; readonly id: number }
  /** KILL in a form we do not allow (KILL USER …, a missing or odd id). */
  | { readonly kind: 'kill-other' }
  | { readonly kind: 'other' };

const OTHER: LeadingStatement = { kind: 'other' };

/** Index of the first character that is not whitespace or an ordinary comment. */
export function skipSpace(sql: string, at: number): number {
  let i = at;
  for (;;) {
    const c = sql.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b) {
      i++;
    } else if (c === 0x23 /* # */ || (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d && isSpaceOrEnd(sql, i + 2))) {
      const nl = sql.indexOf('\n', i);
      if (nl < 0) return sql.length;
      i = nl + 1;
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      const executable = readExecutableStart(sql, i + 2);
      if (executable >= 0) {
        i = executable;
        continue;
      }
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return sql.length;
      i = end + 2;
    } else if (c === 0x2a /* * */ && sql.charCodeAt(i + 1) === 0x2f) {
      // The end of an executable comment we stepped into.
      i += 2;
    } else {
      return i;
    }
  }
}

function isSpaceOrEnd(sql: string, i: number): boolean {
  if (i >= sql.length) return true;
  const c = sql.charCodeAt(i);
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** After "/*": for "!", "!50700", "M!", "M!100201" returns where the code starts, else -1. */
function readExecutableStart(sql: string, at: number): number {
  let i = at;
  if (sql.charCodeAt(i) === 0x4d /* M */) i++;
  if (sql.charCodeAt(i) !== 0x21 /* ! */) return -1;
  i++;
  while (i < sql.length && sql.charCodeAt(i) >= 0x30 && sql.charCodeAt(i) <= 0x39) i++;
  return i;
}

function readWord(sql: string, at: number): string {
  let i = at;
  while (i < sql.length && /[A-Za-z_]/.test(sql[i]!)) i++;
  return sql.slice(at, i).toLowerCase();
}

/** A schema name: `back``ticked`, "quoted", 'quoted' or bare. Returns [name, end] or undefined. */
function readIdentifier(sql: string, at: number): readonly [string, number] | undefined {
  const quote = sql[at];
  if (quote === '`' || quote === '"' || quote === "'") {
    let out = '';
    let i = at + 1;
    for (;;) {
      const next = sql.indexOf(quote, i);
      if (next < 0) return undefined;
      out += sql.slice(i, next);
      if (sql[next + 1] === quote) {
        out += quote;
        i = next + 2;
        continue;
      }
      return [out, next + 1];
    }
  }
  let i = at;
  while (i < sql.length && !/[\s;`'"]/.test(sql[i]!) && !sql.startsWith('/*', i) && sql[i] !== '#') i++;
  if (i === at) return undefined;
  return [sql.slice(at, i), i];
}

export function readLeadingStatement(sql: string): LeadingStatement {
  const start = skipSpace(sql, 0);
  const word = readWord(sql, start);
  if (word === 'use') {
    const after = start + 3;
    const at = skipSpace(sql, after);
    // "USE" must be followed by a separator ("user_table" is not USE).
    if (at === after && sql[at] !== '`' && sql[at] !== '"' && sql[at] !== "'") return OTHER;
    const ident = readIdentifier(sql, at);
    // An unreadable USE is treated as a USE of a name no role allows, never as harmless.
    return { kind: 'use', schema: ident === undefined ? sql.slice(at, at + 64) : ident[0] };
  }
  if (word === 'kill') return readKill(sql, start + 4);
  return OTHER;
}

function readKill(sql: string, after: number): LeadingStatement {
  let at = skipSpace(sql, after);
  if (at === after) return { kind: 'kill-other' };
  let target: 'connection' | 'query' = 'connection';
  for (let guard = 0; guard < 3; guard++) {
    const word = readWord(sql, at);
    if (word === 'hard' || word === 'soft' || word === 'connection' || word === 'query' || word === 'id') {
      if (word === 'query') target = 'query';
      at = skipSpace(sql, at + word.length);
    } else if (word.length > 0) {
      return { kind: 'kill-other' };
    }
  }
  const digits = /^\d{1,10}/.exec(sql.slice(at, at + 11));
  if (digits === null) return { kind: 'kill-other' };
  const rest = skipSpace(sql, at + digits[0].length);
  if (rest < sql.length && sql[rest] !== ';') return { kind: 'kill-other' };
  return { kind: 'kill', target, id: Number(digits[0]) };
}
