import type { AuditEvent } from '@gatehouse/common';
import type { AuditSearchFilter } from './audit-store.js';

export const DEFAULT_SEARCH_LIMIT = 1000;

/** A predicate for one filter, built once per search. */
export function compileAuditFilter(filter: AuditSearchFilter): (event: AuditEvent) => boolean {
  const since = filter.since?.getTime();
  const until = filter.until?.getTime();
  const type = filter.type;
  const typePrefix = type?.endsWith('*') ? type.slice(0, -1) : undefined;
  const text = filter.query?.toLowerCase();
  return (e) => {
    if (since !== undefined || until !== undefined) {
      const t = Date.parse(e.time);
      if (since !== undefined && !(t >= since)) return false;
      if (until !== undefined && !(t < until)) return false;
    }
    if (filter.user !== undefined && e.user !== filter.user) return false;
    if (filter.db !== undefined && e.db_service !== filter.db && e.db_name !== filter.db) return false;
    if (filter.session !== undefined && e.sid !== filter.session) return false;
    if (type !== undefined && (typePrefix !== undefined ? !e.event.startsWith(typePrefix) : e.event !== type))
      return false;
    if (text !== undefined) {
      const query = (e as { query?: unknown }).query;
      if (typeof query !== 'string' || !query.toLowerCase().includes(text)) return false;
    }
    return true;
  };
}
