// The class of a statement the parser could not read, from its leading keywords, so deny rules
// still hold on it ('alter user', 'revoke' and 'prepare' are such statements for the parser in
// use). Comments are skipped and executable comments read as code, as for USE and KILL.
import { DDL_VERBS, isStatementObject, isStatementVerb } from '@gatehouse/common';
import { skipSpace } from '../session/leading-statement.js';

const SYNONYMS: Readonly<Record<string, string>> = {
  desc: 'explain',
  describe: 'explain',
  begin: 'transaction',
  start: 'transaction',
  commit: 'transaction',
  rollback: 'transaction',
  savepoint: 'transaction',
  release: 'transaction',
  with: 'select',
  values: 'select',
  table: 'select',
  get: 'other',
  resignal: 'signal',
};

/** Words that may stand between a DDL verb and its object (CREATE OR REPLACE DEFINER=… VIEW). */
const WORD = /[A-Za-z_]+/y;

function wordsFrom(sql: string, count: number): string[] {
  const out: string[] = [];
  let at = skipSpace(sql, 0);
  while (out.length < count && at < sql.length) {
    WORD.lastIndex = at;
    const m = WORD.exec(sql);
    if (m === null) {
      // Skip one token that is not a word (DEFINER=`x`@`%`, punctuation).
      const next = sql.slice(at).search(/\s/);
      if (next < 0) break;
      at = skipSpace(sql, at + next);
      continue;
    }
    out.push(m[0].toLowerCase());
    at = skipSpace(sql, at + m[0].length);
  }
  return out;
}

export function readLeadingWords(sql: string): string[] {
  const words = wordsFrom(sql, 8);
  const first = words[0] ?? '';
  const verb = SYNONYMS[first] ?? (isStatementVerb(first) ? first : 'other');
  if (!DDL_VERBS.has(verb)) return [verb];
  const object = words.slice(1).find(isStatementObject);
  return object === undefined ? [verb] : [verb, `${verb} ${object}`];
}
