import type { AuditEvent } from '@gatehouse/common';
import type { AuditSearchFilter } from './audit-store.js';
import { parseRecordLine } from './chain-record.js';
import { listLogFiles } from './log-files.js';
import { readLines } from './read-lines.js';
import { compileAuditFilter, DEFAULT_SEARCH_LIMIT } from './search-filter.js';

const DAY_MS = 86_400_000;

/**
 * Searches the JSONL log in `dir` without opening it for writing, so gatectl can read while a
 * server appends. Lines that do not parse are skipped here; `verify` is what reports them.
 */
export async function searchAuditLog(dir: string, filter: AuditSearchFilter): Promise<AuditEvent[]> {
  const limit = Math.max(0, filter.limit ?? DEFAULT_SEARCH_LIMIT);
  const matches = compileAuditFilter(filter);
  const desc = filter.order === 'desc';
  const found: AuditEvent[] = [];
  if (limit === 0) return found;
  const since = filter.since?.getTime();
  for (const file of await listLogFiles(dir)) {
    // A file holds events written on its date; an event is never newer than its write, so a
    // file written (with a day's slack for clock skew) before `since` holds nothing newer.
    if (since !== undefined && Date.parse(`${file.date}T00:00:00Z`) + 2 * DAY_MS <= since) continue;
    await readLines(file.path, ({ text }) => {
      const record = parseRecordLine(text);
      if (!record || !matches(record.event)) return true;
      found.push(record.event);
      if (desc && found.length > limit * 2) found.splice(0, found.length - limit);
      return desc || found.length < limit;
    });
    if (!desc && found.length >= limit) break;
  }
  if (!desc) return found;
  return found.slice(-limit).reverse();
}
