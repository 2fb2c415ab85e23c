// The default audit store: append-only JSONL files under <data_dir>/audit, hash-chained, with
// group commit. Appends that arrive while a write is in flight (or in the same turn of the
// event loop) share the next write and the next fdatasync, so many sessions cost one fsync; a
// group starts at most once per commit window, so under load one fsync covers more events.
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type AuditEvent, AuditFailure, parseAuditEvent } from '@gatehouse/common';
import type {
  AppendOptions,
  AppendResult,
  AuditPageFilter,
  AuditSearchFilter,
  AuditStore,
  VerifyReport,
} from './audit-store.js';
import { canonicalEventJson } from './canonical-event.js';
import { serializeRecord } from './chain-record.js';
import { HEAD_FILE, logFileName, utcDate } from './log-files.js';
import { openLog, type TailRepair } from './open-log.js';
import { RecentUids } from './recent-uids.js';
import { searchAuditLog } from './search-log.js';
import { pageAuditLog } from './search-page.js';
import { pageSessions } from './session-summaries.js';
import { verifyAuditLog } from './verify-log.js';
import { lockAuditDir } from './writer-lock.js';

export interface JsonlAuditStoreOptions {
  /** The audit directory, normally <data_dir>/audit. */
  readonly dir: string;
  /** Start a new file past this size; default 256 MiB. Files also roll over each UTC day. */
  readonly maxFileBytes?: number;
  /** How many recent uids to remember for idempotent redelivery; default 100 000. */
  readonly uidWindow?: number;
  /** Told once when opening repaired a torn tail (log it as a warning). */
  readonly onRepair?: (repair: TailRepair) => void;
  /** Clock for file dates, for tests. */
  readonly now?: () => number;
  /**
   * A group write starts at least this long after the previous one started, so under load one
   * write and one fdatasync cover every event that arrived meanwhile; default 2 ms. append()
   * resolves after the sync as always: this only delays durability (and the ack) by up to
   * the window. 0 writes as soon as the previous group is done.
   */
  readonly commitWindowMs?: number;
  /** How the store waits out the commit window, for tests; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A group write became durable after `seconds` (write and sync): the flush-latency metric. */
  readonly onGroupWritten?: (seconds: number) => void;
}

export interface JsonlAuditStoreStats {
  readonly appends: number;
  readonly events: number;
  readonly duplicates: number;
  /** Group writes, each made durable as one (O_DSYNC write, or write + fdatasync). */
  readonly writes: number;
  readonly syncs: number;
}

export interface JsonlAuditStore extends AuditStore {
  readonly dir: string;
  /**
   * Appends events given only as their uids and canonical JSON (the writer thread's path:
   * validated and serialized by the process that built them). Otherwise as append().
   */
  appendCanonical(uids: readonly string[], canonical: readonly string[]): Promise<AppendResult>;
  /** What opening repaired, if anything. */
  readonly repair: TailRepair | undefined;
  stats(): JsonlAuditStoreStats;
}

interface PendingAppend {
  /** Each event's uid, for the dedupe. */
  readonly uids: readonly string[];
  /** The events, serialized here when `canonical` is not given. */
  readonly events: readonly AuditEvent[] | undefined;
  /** The events' canonical JSON, when the caller had it. */
  readonly canonical: readonly string[] | undefined;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (err: unknown) => void;
}

const HEAD_WIDTH = 127;

// Log files are opened with O_DSYNC where the platform has it: each write returns once its
// bytes are as durable as write + fdatasync would make them, in one request to the thread pool
// instead of two. Elsewhere the group write is followed by an explicit fdatasync.
const O_DSYNC: number | undefined = constants.O_DSYNC;
const LOG_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (O_DSYNC ?? 0);

export async function openJsonlAuditStore(options: JsonlAuditStoreOptions): Promise<JsonlAuditStore> {
  const { dir } = options;
  const maxFileBytes = options.maxFileBytes ?? 256 * 1024 * 1024;
  const uidWindow = options.uidWindow ?? 100_000;
  const now = options.now ?? Date.now;
  const commitWindowMs = options.commitWindowMs ?? 2;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockAuditDir(dir);
  const uids = new RecentUids(uidWindow);
  let opened: Awaited<ReturnType<typeof openLog>>;
  try {
    opened = await openLog(dir, uids, uidWindow);
  } catch (err) {
    await unlock();
    throw err;
  }
  if (opened.repair) options.onRepair?.(opened.repair);

  let seq = opened.seq;
  let lastHash = opened.hash;
  const newest = opened.files.at(-1);
  let current: { handle: FileHandle; date: string; index: number; size: number } | undefined;
  if (newest) {
    current = { handle: await open(newest.path, LOG_FLAGS), date: newest.date, index: newest.index, size: opened.size };
  }
  await (await open(join(dir, HEAD_FILE), 'a', 0o600)).close();
  const head = await open(join(dir, HEAD_FILE), 'r+');
  let pending: PendingAppend[] = [];
  let flushing = false;
  let closed = false;
  let broken: unknown;
  const stats = { appends: 0, events: 0, duplicates: 0, writes: 0, syncs: 0 };
  let idle: Array<() => void> = [];
  let lastGroupAt = Number.NEGATIVE_INFINITY;

  const fileFor = async (bytes: number) => {
    const date = utcDate(now());
    if (current && current.date === date && (current.size === 0 || current.size + bytes <= maxFileBytes))
      return current;
    const index = current && current.date === date ? current.index + 1 : 0;
    await current?.handle.close();
    const handle = await open(join(dir, logFileName(date, index)), LOG_FLAGS, 0o600);
    current = { handle, date, index, size: 0 };
    return current;
  };

  const writeHead = async (): Promise<void> => {
    // Written after the log's fdatasync, so HEAD never names an event that is not durable.
    // Fixed width, so rewriting in place never leaves a longer old tail behind.
    const text = JSON.stringify({ seq, hash: lastHash }).padEnd(HEAD_WIDTH, ' ');
    await head.write(`${text}\n`, 0);
  };

  const writeBatch = async (batch: PendingAppend[]): Promise<void> => {
    const results: AppendResult[] = [];
    const seen = new Set<string>();
    let nextSeq = seq;
    let nextHash = lastHash;
    let text = '';
    for (const request of batch) {
      let appended = 0;
      let duplicates = 0;
      const { events, canonical } = request;
      for (let i = 0; i < request.uids.length; i++) {
        const uid = request.uids[i]!;
        if (uids.has(uid) || seen.has(uid)) {
          duplicates++;
          continue;
        }
        seen.add(uid);
        nextSeq++;
        const record = serializeRecord(nextSeq, nextHash, canonical?.[i] ?? canonicalEventJson(events![i]!));
        nextHash = record.hash;
        text += record.line;
        appended++;
      }
      results.push({ appended, duplicates });
    }
    if (text.length > 0) {
      const bytes = Buffer.from(text);
      const file = await fileFor(bytes.length);
      try {
        let written = 0;
        while (written < bytes.length) {
          const r = await file.handle.write(bytes, written, bytes.length - written);
          written += r.bytesWritten;
        }
        stats.writes++;
        if (O_DSYNC === undefined) await file.handle.datasync();
        stats.syncs++;
      } catch (err) {
        try {
          await file.handle.truncate(file.size);
        } catch (truncateErr) {
          broken = truncateErr;
        }
        throw err;
      }
      file.size += bytes.length;
      seq = nextSeq;
      lastHash = nextHash;
      for (const uid of seen) uids.add(uid);
      await writeHead();
    }
    for (const [i, request] of batch.entries()) {
      const r = results[i]!;
      stats.events += r.appended;
      stats.duplicates += r.duplicates;
      request.resolve(r);
    }
  };

  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const wait = lastGroupAt + commitWindowMs - performance.now();
      if (wait > 0 && !closed) await sleep(wait);
      lastGroupAt = performance.now();
      const batch = pending;
      pending = [];
      try {
        if (broken) throw broken;
        const started = performance.now();
        await writeBatch(batch);
        options.onGroupWritten?.((performance.now() - started) / 1000);
      } catch (err) {
        const failure = new AuditFailure('GH_ERR_AUDIT_WRITE', 'could not write audit events to the log', {
          cause: err,
        });
        for (const request of batch) request.reject(failure);
      }
    }
    flushing = false;
    const waiters = idle;
    idle = [];
    for (const w of waiters) w();
  };

  const enqueue = (
    uidList: readonly string[],
    events: readonly AuditEvent[] | undefined,
    canonical: readonly string[] | undefined,
  ): Promise<AppendResult> => {
    stats.appends++;
    return new Promise<AppendResult>((resolve, reject) => {
      pending.push({ uids: uidList, events, canonical, resolve, reject });
      if (!flushing) {
        flushing = true;
        // Appends made in this same turn of the event loop join the first write.
        setImmediate(() => void flush());
      }
    });
  };

  return {
    dir,
    repair: opened.repair,
    append(events, appendOptions?: AppendOptions) {
      if (closed) return Promise.reject(new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit store is closed'));
      let parsed: readonly AuditEvent[] = events;
      let canonical: readonly string[] | undefined;
      if (appendOptions?.validated === true) {
        const given = appendOptions.canonical;
        if (given !== undefined && given.length === events.length) canonical = given;
      } else {
        try {
          parsed = events.map((e) => parseAuditEvent(e));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return enqueue(
        parsed.map((e) => e.uid),
        parsed,
        canonical,
      );
    },
    appendCanonical(uidList, canonical) {
      if (closed) return Promise.reject(new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit store is closed'));
      if (uidList.length !== canonical.length)
        return Promise.reject(new AuditFailure('GH_ERR_AUDIT_WRITE', 'one uid per canonical event'));
      return enqueue(uidList, undefined, canonical);
    },
    ...auditLogReaders(dir),
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      closed = true;
      if (flushing) await new Promise<void>((resolve) => idle.push(resolve));
      await current?.handle.close();
      await head.close();
      await unlock();
    },
  };
}

/** The read side of a JSONL audit directory: no writer state, any thread or process. */
export function auditLogReaders(dir: string): Pick<AuditStore, 'search' | 'searchPage' | 'sessions' | 'verify'> {
  return {
    search: (filter: AuditSearchFilter) => searchAuditLog(dir, filter),
    searchPage: async (filter: AuditPageFilter) => {
      const page = await pageAuditLog(dir, filter);
      return { ...page, items: page.items.map((i) => i.event) };
    },
    sessions: (filter: AuditPageFilter) => pageSessions(dir, filter),
    verify: (): Promise<VerifyReport> => verifyAuditLog(dir),
  };
}
