// Keyset pagination over the JSONL log. The cursor is a seq: a page newest-first holds events
// with seq below it, oldest-first above it. Whole files are skipped by their first seq (and by
// date for `since`), and a line is parsed only when the filter's exact fields (user, session,
// type, db) appear in its bytes: lines are canonical JSON, so `"user":"alice"` is spelled one
// way only. The cost of a page is then the files it touches, not the size of the log.
import type { AuditEvent } from '@gatehouse/common';
import type { AuditPage, AuditPageFilter } from './audit-store.js';
import { parseRecordLine } from './chain-record.js';
import { withFirstSeqs } from './file-seqs.js';
import { listLogFiles } from './log-files.js';
import { readLineSeq, scanLines } from './scan-lines.js';
import { compileAuditFilter } from './search-filter.js';

const DAY_MS = 86_400_000;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface SeqEvent {
  readonly seq: number;
  readonly event: AuditEvent;
}

/** Parses a cursor made by this module; anything else is an error the caller reports as 400. */
export function parseSeqCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(cursor)) throw new RangeError('cursor is not one this server made');
  return Number(cursor);
}

/** Byte tests that every matching line passes (each group: one of its needles must appear). */
function byteNeedles(filter: AuditPageFilter): Buffer[][] {
  const groups: Buffer[][] = [];
  const field = (key: string, value: string) => Buffer.from(`"${key}":${JSON.stringify(value)}`);
  if (filter.user !== undefined) groups.push([field('user', filter.user)]);
  if (filter.session !== undefined) groups.push([field('sid', filter.session)]);
  if (filter.db !== undefined) groups.push([field('db_service', filter.db), field('db_name', filter.db)]);
  if (filter.type !== undefined) {
    const exact = field('event', filter.type.endsWith('*') ? filter.type.slice(0, -1) : filter.type);
    // A prefix must not include the closing quote.
    groups.push([filter.type.endsWith('*') ? exact.subarray(0, exact.length - 1) : exact]);
  }
  return groups;
}

export function lineMayMatch(groups: readonly Buffer[][], line: Buffer): boolean {
  for (const group of groups) {
    let any = false;
    for (const needle of group) {
      if (line.indexOf(needle) >= 0) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/** One page of matching events with their seqs, in the filter's order (default newest first). */
export async function pageAuditLog(dir: string, filter: AuditPageFilter): Promise<AuditPage<SeqEvent>> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, filter.limit ?? DEFAULT_PAGE_SIZE));
  const cursor = parseSeqCursor(filter.cursor);
  const asc = filter.order === 'asc';
  const matches = compileAuditFilter(filter);
  const needles = byteNeedles(filter);
  const since = filter.since?.getTime();
  const files = await withFirstSeqs(await listLogFiles(dir));
  const found: SeqEvent[] = [];

  const scanFile = async (path: string, keep: (seq: number) => boolean, stopAt: (seq: number) => boolean) => {
    const inFile: SeqEvent[] = [];
    await scanLines(path, (line) => {
      const seq = readLineSeq(line);
      if (Number.isNaN(seq)) return true;
      if (stopAt(seq)) return false;
      if (!keep(seq) || !lineMayMatch(needles, line)) return true;
      const record = parseRecordLine(line.toString('utf8'));
      if (record === undefined || !matches(record.event)) return true;
      inFile.push({ seq: record.seq, event: record.event });
      // Oldest first: the first limit+1 are all we need; newest first: the last limit+1.
      if (asc) return inFile.length + found.length <= limit;
      if (inFile.length > 2 * (limit + 1)) inFile.splice(0, inFile.length - (limit + 1));
      return true;
    });
    return inFile;
  };

  if (asc) {
    for (const [i, file] of files.entries()) {
      const nextFirst = files[i + 1]?.firstSeq;
      if (cursor !== undefined && nextFirst !== undefined && nextFirst - 1 <= cursor) continue;
      if (since !== undefined && Date.parse(`${file.date}T00:00:00Z`) + 2 * DAY_MS <= since) continue;
      found.push(
        ...(await scanFile(
          file.path,
          (seq) => cursor === undefined || seq > cursor,
          () => false,
        )),
      );
      if (found.length > limit) break;
    }
  } else {
    for (let i = files.length - 1; i >= 0; i--) {
      const file = files[i]!;
      if (cursor !== undefined && file.firstSeq !== undefined && file.firstSeq >= cursor) continue;
      // Going back in time: a file written well before `since` ends the search.
      if (since !== undefined && Date.parse(`${file.date}T00:00:00Z`) + 2 * DAY_MS <= since) break;
      const inFile = await scanFile(
        file.path,
        () => true,
        (seq) => cursor !== undefined && seq >= cursor,
      );
      found.push(...inFile.reverse());
      if (found.length > limit) break;
    }
  }
  const items = found.slice(0, limit);
  const last = items.at(-1);
  return found.length > limit && last !== undefined ? { items, next: String(last.seq) } : { items };
}
