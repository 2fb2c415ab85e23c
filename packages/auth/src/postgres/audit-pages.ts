// The review's pages on PostgreSQL: keyset pagination on (time, writer, seq), the order search
// uses. The cursor is the last row's key, base64url-encoded: opaque to callers, and checked on
// the way back in. A page is one indexed query; the sessions page is two (the starts, then one
// aggregate over the page's session ids), whatever the size of the log.
import type { AuditEvent } from '@gatehouse/common';
import type { AuditPage, AuditPageFilter, AuditSessionSummary } from '../audit/audit-store.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../audit/search-page.js';
import { addEvent, DEFAULT_SESSIONS_PAGE, MAX_SESSIONS_PAGE, startSummary } from '../audit/session-summaries.js';
import { auditConditions, Params, whereClause } from './audit-search.js';
import type { Sql } from './transactions.js';

interface RowKey {
  /** The row's time as PostgreSQL prints it in JSON (ISO 8601, microseconds kept). */
  readonly time: string;
  readonly writer: string;
  readonly seq: number;
}

interface KeyedRow {
  readonly body: string;
  readonly writer: string;
  readonly seq: string;
  readonly t: string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

function encodeCursor(row: KeyedRow): string {
  return Buffer.from(JSON.stringify([row.t, row.writer, Number(row.seq)])).toString('base64url');
}

/** Parses a cursor made by encodeCursor; anything else is an error the caller reports as 400. */
export function parseRowCursor(cursor: string | undefined): RowKey | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (
    !Array.isArray(key) ||
    key.length !== 3 ||
    typeof key[0] !== 'string' ||
    !ISO_TIME.test(key[0]) ||
    typeof key[1] !== 'string' ||
    !Number.isSafeInteger(key[2]) ||
    key[2] < 1
  ) {
    throw new RangeError('cursor is not one this server made');
  }
  return { time: key[0], writer: key[1], seq: key[2] };
}

/** Rows of `gh_audit` (alias `a`) past the cursor, in the page's order, one more than `limit`. */
async function keyedRows(
  sql: Sql,
  conditions: string[],
  params: Params,
  key: RowKey | undefined,
  asc: boolean,
  limit: number,
): Promise<KeyedRow[]> {
  if (key !== undefined) {
    const tuple = `(${params.add(key.time)}::timestamptz, ${params.add(key.writer)}::text, ${params.add(key.seq)}::int8)`;
    conditions.push(`(a.time, a.writer, a.seq) ${asc ? '>' : '<'} ${tuple}`);
  }
  const dir = asc ? 'ASC' : 'DESC';
  const { rows } = await sql.query<KeyedRow>(
    `SELECT a.body, a.writer, a.seq, to_json(a.time) #>> '{}' AS t FROM gh_audit a ${whereClause(conditions)}
     ORDER BY a.time ${dir}, a.writer ${dir}, a.seq ${dir} LIMIT ${params.add(limit + 1)}`,
    params.values,
  );
  return rows;
}

function pageOf<T>(rows: readonly KeyedRow[], limit: number, item: (row: KeyedRow) => T): AuditPage<T> {
  const kept = rows.slice(0, limit);
  const items = kept.map(item);
  const last = kept.at(-1);
  return rows.length > limit && last !== undefined ? { items, next: encodeCursor(last) } : { items };
}

/** One page of matching events, newest first unless `order` is 'asc'. */
export async function pagePostgresAudit(sql: Sql, filter: AuditPageFilter): Promise<AuditPage<AuditEvent>> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, filter.limit ?? DEFAULT_PAGE_SIZE));
  const key = parseRowCursor(filter.cursor);
  const params = new Params();
  const rows = await keyedRows(sql, auditConditions(filter, params, 'a.'), params, key, filter.order === 'asc', limit);
  return pageOf(rows, limit, (row) => JSON.parse(row.body) as AuditEvent);
}

interface SessionTotals {
  readonly sid: string;
  readonly queries: string;
  readonly errors: string;
  readonly end_body: string | null;
}

/**
 * One page of sessions, newest first: start events selected by user, db, time and session;
 * `query` and `type` keep the sessions with at least one event matching both (EXISTS on the
 * sid index), so every page is full without scanning ahead.
 */
export async function pagePostgresSessions(sql: Sql, filter: AuditPageFilter): Promise<AuditPage<AuditSessionSummary>> {
  const limit = Math.min(MAX_SESSIONS_PAGE, Math.max(1, filter.limit ?? DEFAULT_SESSIONS_PAGE));
  const key = parseRowCursor(filter.cursor);
  const params = new Params();
  const { query, type, ...startFilter } = filter;
  const conditions = [
    `a.event_type = ${params.add('db.session.start')}`,
    ...auditConditions(startFilter, params, 'a.'),
  ];
  if (query !== undefined || type !== undefined) {
    const matching = auditConditions(
      { ...(query !== undefined ? { query } : {}), ...(type !== undefined ? { type } : {}) },
      params,
      'm.',
    );
    conditions.push(`EXISTS (SELECT 1 FROM gh_audit m WHERE m.sid = a.sid AND ${matching.join(' AND ')})`);
  }
  const rows = await keyedRows(sql, conditions, params, key, false, limit);
  const starts = rows.slice(0, limit).map((row) => JSON.parse(row.body) as AuditEvent);
  // Codes ending in W are failures and denials (as in the JSONL store's summaries).
  const { rows: totals } = await sql.query<SessionTotals>(
    `SELECT sid,
            count(*) FILTER (WHERE event_type <> 'db.session.end') AS queries,
            count(*) FILTER (WHERE event_type <> 'db.session.end' AND (body::jsonb ->> 'code') LIKE '%W') AS errors,
            (array_agg(body ORDER BY time, writer, seq) FILTER (WHERE event_type = 'db.session.end'))[1] AS end_body
       FROM gh_audit WHERE sid = ANY($1::text[]) AND event_type <> 'db.session.start' GROUP BY sid`,
    [[...new Set(starts.map((s) => s.sid))]],
  );
  const bySid = new Map(totals.map((row) => [row.sid, row]));
  return pageOf(rows, limit, (row) => {
    const summary = startSummary(JSON.parse(row.body) as AuditEvent);
    const total = bySid.get(summary.sid);
    if (total !== undefined) {
      if (total.end_body !== null) addEvent(summary, JSON.parse(total.end_body) as AuditEvent);
      summary.queries = Number(total.queries);
      summary.errors = Number(total.errors);
    }
    return summary;
  });
}
