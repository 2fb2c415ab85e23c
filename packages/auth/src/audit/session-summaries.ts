// The sessions page: start events selected by user, db and time (newest first, keyset on the
// start's seq), each summed up from the events that follow it. The summing scan starts at the
// page's oldest start and stops once every session on the page has ended, and it parses only
// the lines whose session id (read from the bytes) is on the page.
import type { AuditEvent } from '@gatehouse/common';
import type { AuditPage, AuditPageFilter, AuditSessionSummary } from './audit-store.js';
import { parseRecordLine } from './chain-record.js';
import { withFirstSeqs } from './file-seqs.js';
import { listLogFiles } from './log-files.js';
import { readLineSeq, readLineSid, scanLines } from './scan-lines.js';
import { compileAuditFilter } from './search-filter.js';
import { pageAuditLog, type SeqEvent } from './search-page.js';

export const DEFAULT_SESSIONS_PAGE = 50;
export const MAX_SESSIONS_PAGE = 500;
/** With a text or type filter, how many batches of starts one page may look through. */
const MAX_ROUNDS = 20;

interface Summing {
  summary: Mutable<AuditSessionSummary>;
  matched: boolean;
}
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isFailure(event: AuditEvent): boolean {
  return event.code.endsWith('W');
}

/** The summary of a session from its start event alone (shared with the PostgreSQL store). */
export function startSummary(start: AuditEvent): Mutable<AuditSessionSummary> {
  const attributes = start.event === 'db.session.start' ? start.client_attributes : {};
  const summary: Mutable<AuditSessionSummary> = {
    sid: start.sid,
    time: start.time,
    user: start.user,
    roles: start.roles,
    db_service: start.db_service,
    db_user: start.db_user,
    db_name: start.db_name,
    client_addr: start.client_addr,
    // MySQL's clients send _program_name; libmariadb sends program_name and _client_name.
    program: attributes._program_name ?? attributes.program_name ?? attributes._client_name ?? '',
    engine_id: start.engine_id,
    proxy_id: start.proxy_id,
    success: start.event === 'db.session.start' && start.success,
    ended: false,
    queries: 0,
    errors: 0,
  };
  if (start.event === 'db.session.start' && start.error) summary.error = start.error.message;
  // A refused login has no end event: it is over as it starts.
  if (!summary.success) {
    summary.ended = true;
    summary.end_time = start.time;
    summary.duration_ms = 0;
  }
  return summary;
}

/** Adds one later event of the session to its summary. */
export function addEvent(s: Mutable<AuditSessionSummary>, event: AuditEvent): void {
  if (event.event === 'db.session.end') {
    s.ended = true;
    s.end_time = event.time;
    s.duration_ms = event.session_duration_ms ?? Math.max(0, Date.parse(event.time) - Date.parse(s.time));
    if (event.error) s.error = event.error.message;
    return;
  }
  // The engine's changes to the person's database user (db-users.md) are not the person's commands.
  if (event.event.startsWith('db.user.')) return;
  s.queries++;
  if (isFailure(event)) s.errors++;
}

async function summarize(
  dir: string,
  starts: readonly SeqEvent[],
  filter: AuditPageFilter,
): Promise<Map<string, Summing>> {
  const bySid = new Map<string, Summing>();
  const needsMatch = filter.query !== undefined || filter.type !== undefined;
  const matches = compileAuditFilter({
    ...(filter.query !== undefined ? { query: filter.query } : {}),
    ...(filter.type !== undefined ? { type: filter.type } : {}),
  });
  let open = 0;
  let from = Number.POSITIVE_INFINITY;
  for (const { seq, event } of starts) {
    const summary = startSummary(event);
    bySid.set(event.sid, { summary, matched: !needsMatch || matches(event) });
    if (!summary.ended) open++;
    from = Math.min(from, seq);
  }
  if (open === 0) return bySid;
  const files = await withFirstSeqs(await listLogFiles(dir));
  for (const [i, file] of files.entries()) {
    const nextFirst = files[i + 1]?.firstSeq;
    if (nextFirst !== undefined && nextFirst <= from) continue;
    let done = false;
    await scanLines(file.path, (line) => {
      const seq = readLineSeq(line);
      if (!(seq > from)) return true;
      const sid = readLineSid(line);
      const entry = sid === undefined ? undefined : bySid.get(sid);
      if (entry === undefined) return true;
      const record = parseRecordLine(line.toString('utf8'));
      if (record === undefined || record.event.sid !== sid || record.event.event === 'db.session.start') return true;
      const wasOpen = !entry.summary.ended;
      addEvent(entry.summary, record.event);
      if (needsMatch && !entry.matched && matches(record.event)) entry.matched = true;
      if (wasOpen && entry.summary.ended) open--;
      // The scan is over once every session on the page has ended.
      done = open === 0;
      return !done;
    });
    if (done) break;
  }
  return bySid;
}

/** One page of sessions, newest first. */
export async function pageSessions(dir: string, filter: AuditPageFilter): Promise<AuditPage<AuditSessionSummary>> {
  const limit = Math.min(MAX_SESSIONS_PAGE, Math.max(1, filter.limit ?? DEFAULT_SESSIONS_PAGE));
  const needsMatch = filter.query !== undefined || filter.type !== undefined;
  const startFilter: AuditPageFilter = {
    type: 'db.session.start',
    order: 'desc',
    ...(filter.user !== undefined ? { user: filter.user } : {}),
    ...(filter.db !== undefined ? { db: filter.db } : {}),
    ...(filter.since !== undefined ? { since: filter.since } : {}),
    ...(filter.until !== undefined ? { until: filter.until } : {}),
    ...(filter.session !== undefined ? { session: filter.session } : {}),
  };
  const items: AuditSessionSummary[] = [];
  let cursor = filter.cursor;
  for (let round = 0; round < (needsMatch ? MAX_ROUNDS : 1); round++) {
    const starts = await pageAuditLog(dir, {
      ...startFilter,
      limit: needsMatch ? Math.max(limit, 200) : limit,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    const summed = await summarize(dir, starts.items, filter);
    for (const { seq, event } of starts.items) {
      const entry = summed.get(event.sid);
      if (entry === undefined || !entry.matched) continue;
      items.push(entry.summary);
      if (items.length === limit) {
        const more = starts.next !== undefined || seq !== starts.items.at(-1)?.seq;
        return more ? { items, next: String(seq) } : { items };
      }
    }
    if (starts.next === undefined) return { items };
    cursor = starts.next;
  }
  return cursor !== undefined ? { items, next: cursor } : { items };
}
