// `gatectl audit search` on PostgreSQL: every filter is a WHERE clause that an index serves
// ((user, time), (db_service, time), (db_name, time), (sid, time), (event_type, time), a
// trigram index for the query text), and the order and limit are done by the server.
import type { AuditEvent } from '@gatehouse/common';
import type { AuditSearchFilter } from '../audit/audit-store.js';
import { DEFAULT_SEARCH_LIMIT } from '../audit/search-filter.js';
import type { Sql } from './transactions.js';

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function searchPostgresAudit(sql: Sql, filter: AuditSearchFilter): Promise<AuditEvent[]> {
  const limit = Math.max(0, filter.limit ?? DEFAULT_SEARCH_LIMIT);
  if (limit === 0) return [];
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  if (filter.since) where.push(`time >= ${param(filter.since)}`);
  if (filter.until) where.push(`time < ${param(filter.until)}`);
  if (filter.user !== undefined) where.push(`usr = ${param(filter.user)}`);
  if (filter.db !== undefined) {
    const p = param(filter.db);
    where.push(`(db_service = ${p} OR db_name = ${p})`);
  }
  if (filter.session !== undefined) where.push(`sid = ${param(filter.session)}`);
  if (filter.type !== undefined) {
    if (filter.type.endsWith('*')) where.push(`event_type LIKE ${param(`${escapeLike(filter.type.slice(0, -1))}%`)}`);
    else where.push(`event_type = ${param(filter.type)}`);
  }
  if (filter.query !== undefined) where.push(`lower(query) LIKE ${param(`%${escapeLike(filter.query.toLowerCase())}%`)}`);
  const dir = filter.order === 'desc' ? 'DESC' : 'ASC';
  const { rows } = await sql.query<{ body: string }>(
    `SELECT body FROM gh_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY time ${dir}, stored ${dir}, writer ${dir}, seq ${dir} LIMIT ${param(limit)}`,
    values,
  );
  return rows.map((r) => JSON.parse(r.body) as AuditEvent);
}
