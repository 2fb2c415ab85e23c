// Secrets in SQL text never reach the audit log. Covered:
//   IDENTIFIED BY '…' | IDENTIFIED BY PASSWORD '…' | IDENTIFIED WITH plugin BY|AS '…'
//   IDENTIFIED VIA plugin USING '…' | USING PASSWORD('…') (MariaDB) | … REPLACE '…'
//   in CREATE USER, ALTER USER and GRANT, for every user in the list;
//   PASSWORD('…'), OLD_PASSWORD('…'); SET PASSWORD [FOR u] = …;
//   any *_PASSWORD = '…' (CHANGE MASTER TO MASTER_PASSWORD, CHANGE REPLICATION SOURCE TO
//   SOURCE_PASSWORD) and OPTIONS (PASSWORD '…') of CREATE SERVER.
// A literal is replaced by '***'; a `?` placeholder in such a position is reported, so the
// execute event can replace the matching parameter.
//
// The scan runs twice, with and without backslash escapes, and the union of both is
// redacted: the audit layer does not know the session's sql_mode, and either reading may be
// the server's (NO_BACKSLASH_ESCAPES changes where a literal ends).
import { type SqlToken, SqlTokenKind, scanSql } from './sql-scan.js';

export const REDACTED_LITERAL = "'***'";

/** Cheap pre-check: a statement that names none of these has nothing to redact. */
const TRIGGER = /identified|password/i;

/** Clause keywords that end an IDENTIFIED clause once its secret has been seen. */
const CLAUSE_END = new Set(['REQUIRE', 'COMMENT', 'ATTRIBUTE', 'ACCOUNT', 'DEFAULT']);
/** Words after which a literal names a plugin, not a secret. */
const PLUGIN_BEFORE = new Set(['WITH', 'VIA', 'OR']);

export interface RedactedQuery {
  readonly text: string;
  /** True when some literal was replaced. */
  readonly redacted: boolean;
  /** Zero-based ordinals of the `?` placeholders that stand in for secrets. */
  readonly secretPlaceholders: readonly number[];
}

interface Findings {
  ranges: Array<[number, number]>;
  placeholders: Set<number>;
}

function findSecrets(sql: string, backslashEscapes: boolean, out: Findings): void {
  let depth = 0;
  let identified = false; // inside an IDENTIFIED clause
  let identifiedDepth = 0;
  let sawSecret = false;
  let setPassword = 0; // 0 none, 1 after SET PASSWORD, 2 after its '=' or TO: redact everything
  let wordIndex = 0; // position of the word in the statement, for SET PASSWORD
  let pending = false; // after a *PASSWORD word or its '=': the next literal is secret
  let adjacent = false; // just redacted a literal: 'a' 'b' concatenates, so keep going
  let pwParenDepth = -1; // inside PASSWORD( … ): every literal is secret
  let previous: SqlToken | undefined;
  let placeholder = 0;

  const secret = (t: SqlToken): void => {
    if (t.kind === SqlTokenKind.Placeholder) out.placeholders.add(placeholder);
    else out.ranges.push([t.start, t.end]);
    sawSecret = true;
  };

  scanSql(sql, backslashEscapes, (t) => {
    const wasAdjacent = adjacent;
    adjacent = false;
    if (t.kind === SqlTokenKind.String || t.kind === SqlTokenKind.Placeholder) {
      const pluginName = identified && previous?.kind === SqlTokenKind.Word && PLUGIN_BEFORE.has(previous.word);
      if (pending || wasAdjacent || pwParenDepth >= 0 || setPassword === 2 || (identified && !pluginName)) {
        secret(t);
        adjacent = true;
      }
      pending = false;
      if (t.kind === SqlTokenKind.Placeholder) placeholder++;
    } else if (t.kind === SqlTokenKind.Word) {
      const w = t.word;
      if (wordIndex === 0 && w === 'SET') setPassword = -1;
      else if (wordIndex === 1 && setPassword === -1 && w === 'PASSWORD') setPassword = 1;
      else if (setPassword === -1) setPassword = 0;
      wordIndex++;
      if (setPassword === 1 && w === 'TO') setPassword = 2;
      if (w === 'IDENTIFIED') {
        identified = true;
        identifiedDepth = depth;
        sawSecret = false;
        pending = false;
      } else if (identified && sawSecret && CLAUSE_END.has(w)) {
        identified = false;
      } else if (w === 'PASSWORD' || w.endsWith('_PASSWORD')) {
        pending = true;
      } else if (!(pending && w.startsWith('_'))) {
        pending = false;
      }
    } else if (t.kind === SqlTokenKind.Punct) {
      const p = t.word;
      if (p === ';') {
        identified = false;
        setPassword = 0;
        wordIndex = 0;
        pending = false;
        pwParenDepth = -1;
        depth = 0;
      } else if (p === '(') {
        if (pending) pwParenDepth = depth;
        pending = false;
        depth++;
      } else if (p === ')') {
        depth = Math.max(0, depth - 1);
        if (pwParenDepth === depth) pwParenDepth = -1;
        pending = false;
      } else if (p === '=') {
        if (setPassword === 1) setPassword = 2;
        // keep `pending`: PASSWORD = '…'
      } else {
        if (p === ',' && identified && depth <= identifiedDepth) identified = false;
        pending = false;
      }
    } else {
      pending = false;
    }
    previous = t;
  });
}

function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

const NOTHING: readonly number[] = [];

/** Replaces the secrets in `sql`; never throws. */
export function redactQuery(sql: string): RedactedQuery {
  if (!TRIGGER.test(sql)) return { text: sql, redacted: false, secretPlaceholders: NOTHING };
  const found: Findings = { ranges: [], placeholders: new Set() };
  findSecrets(sql, true, found);
  findSecrets(sql, false, found);
  const placeholders = [...found.placeholders].sort((a, b) => a - b);
  if (found.ranges.length === 0) return { text: sql, redacted: false, secretPlaceholders: placeholders };
  let text = '';
  let at = 0;
  for (const [start, end] of mergeRanges(found.ranges)) {
    text += sql.slice(at, start) + REDACTED_LITERAL;
    at = end;
  }
  text += sql.slice(at);
  return { text, redacted: true, secretPlaceholders: placeholders };
}
