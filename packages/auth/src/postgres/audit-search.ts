// `gatectl audit search` on PostgreSQL: every filter is a WHERE clause that an index serves
// ((user, time), (db_service, time), (db_name, time), (sid, time), (event_type, time), a
// trigram index for the query text), and the order and limit are done by the server. Rows are
// ordered by (time, writer, seq), which is unique, so the review's keyset pages
// (audit-pages.ts) list exactly what a search does.
import type { AuditEvent } from '@gatehouse/common';
import type { AuditSearchFilter } from '../audit/audit-store.js';
import { DEFAULT_SEARCH_LIMIT } from '../audit/search-filter.js';
import type { Sql } from './transactions.js';

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Collects query parameters and hands out their $n placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

type WhereFields = Pick<AuditSearchFilter, 'since' | 'until' | 'user' | 'db' | 'session' | 'type' | 'query'>;

/** The WHERE conditions of a filter, on the columns of table alias `t` (e.g. "a."), or none. */
export function auditConditions(filter: WhereFields, params: Params, t = ''): string[] {
  const where: string[] = [];
  if (filter.since) where.push(`${t}time >= ${params.add(filter.since)}`);
  if (filter.until) where.push(`${t}time < ${params.add(filter.until)}`);
  if (filter.user !== undefined) where.push(`${t}usr = ${params.add(filter.user)}`);
  if (filter.db !== undefined) {
    const p = params.add(filter.db);
    where.push(`(${t}db_service = ${p} OR ${t}db_name = ${p})`);
  }
  if (filter.session !== undefined) where.push(`${t}sid = ${params.add(filter.session)}`);
  if (filter.type !== undefined) {
    if (filter.type.endsWith('*'))
      where.push(`${t}event_type LIKE ${params.add(`${escapeLike(filter.type.slice(0, -1))}%`)}`);
    else where.push(`${t}event_type = ${params.add(filter.type)}`);
  }
  if (filter.query !== undefined) {
    where.push(`lower(${t}query) LIKE ${params.add(`%${escapeLike(filter.query.toLowerCase())}%`)}`);
  }
  return where;
}

export function whereClause(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

export async function searchPostgresAudit(sql: Sql, filter: AuditSearchFilter): Promise<AuditEvent[]> {
  const limit = Math.max(0, filter.limit ?? DEFAULT_SEARCH_LIMIT);
  if (limit === 0) return [];
  const params = new Params();
  const where = whereClause(auditConditions(filter, params));
  const dir = filter.order === 'desc' ? 'DESC' : 'ASC';
  const { rows } = await sql.query<{ body: string }>(
    `SELECT body FROM gh_audit ${where} ORDER BY time ${dir}, writer ${dir}, seq ${dir} LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((r) => JSON.parse(r.body) as AuditEvent);
}
