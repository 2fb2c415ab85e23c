// The engine's audit spool: events wait in a file on the engine's disk until the proxy/auth side
// acknowledges them, so a proxy restart or an engine crash loses nothing. `spool.jsonl` holds one
// event per line; `spool.ack` holds the byte offset up to which events were acknowledged.
// Redelivery after a crash is expected and harmless: the store is idempotent by uid.
// Batches appended by this process are also kept in memory (bounded) until acked, so the
// forwarder normally gets them back without reading and parsing the file; the file is what a
// restart reads.
//
// The spool is the engine's write-ahead log of commands (docs/audit.md, "Write-ahead of the
// answer"): a batch is written with one synchronous write(2) on the event loop, so once
// append() has run the events are in the kernel's page cache and survive the process, and the
// client's reply can go. `sync` adds fdatasync: per batch ('batch', survives a power loss) or
// per event ('always'). Every change to the file (write, truncate) is synchronous, so none can
// interleave with another; only the fdatasync and the ack file go to the thread pool.
import { closeSync, fdatasync, ftruncateSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalEventJson } from '@gatehouse/auth';
import { type AuditEvent, AuditFailure } from '@gatehouse/common';

/** config audit.spool_sync: what a write must survive before the client hears the reply. */
export type SpoolSync = 'none' | 'batch' | 'always';

export interface AuditSpoolOptions {
  readonly dir: string;
  /** 'none' (default): write(2) only; 'batch': one fdatasync per append; 'always': one per event. */
  readonly sync?: SpoolSync;
  /** Once everything is acknowledged and the file is past this size, it is emptied; default 1 MiB. */
  readonly compactBytes?: number;
}

export interface SpoolRead {
  readonly events: AuditEvent[];
  /** Pass to ack() once these events are safely stored. */
  readonly end: number;
  /** Lines that did not parse and were passed over. */
  readonly skipped: number;
  /** The events are the objects this process appended (not parsed back from the file). */
  readonly fromMemory: boolean;
  /**
   * With fromMemory: each event's canonical JSON, the very text the spool line holds, so the
   * store chains it without serializing the event again. (A line read back from the file may
   * come from an older engine that did not write canonical JSON: the store serializes those.)
   */
  readonly canonical?: readonly string[];
}

export interface SpoolStats {
  /** write(2) calls that appended events. */
  readonly writes: number;
  readonly fsyncs: number;
  readonly events: number;
  /** Partial records cut from the end of the file when it was opened (0 or 1). */
  readonly repairedRecords: number;
  readonly repairedBytes: number;
  /** Unparsable lines the reader passed over. */
  readonly skippedLines: number;
}

export interface AuditSpool {
  /**
   * Appends a batch: the write(2) is done when this returns; the promise resolves once the
   * `sync` mode is satisfied too (at once with 'none'), or rejects if the write failed (then
   * nothing of the batch is in the file). `canonical[i]`: event i's canonical JSON when the caller
   * wrote it already (it must be exactly what canonicalEventJson gives; else it is written here).
   */
  append(events: readonly AuditEvent[], canonical?: readonly (string | undefined)[]): Promise<void>;
  /** Up to `max` unacknowledged events, oldest first. */
  read(max: number): Promise<SpoolRead>;
  ack(end: number): Promise<void>;
  /** Bytes not yet acknowledged. */
  pendingBytes(): number;
  /** What opening cut from a torn last line, in bytes. */
  readonly repairedBytes: number;
  readonly sync: SpoolSync;
  stats(): SpoolStats;
  close(): Promise<void>;
}

const SPOOL_FILE = 'spool.jsonl';
/** Unacknowledged bytes kept in memory as events, beyond which reads go to the file. */
const MEMORY_BYTES = 8 * 1024 * 1024;

/** A batch appended by this process: its events and the bytes they take in the file. */
interface MemoryBatch {
  readonly events: readonly AuditEvent[];
  /** Their canonical JSON, as written. */
  readonly lines: readonly string[];
  readonly start: number;
  readonly end: number;
}
const ACK_FILE = 'spool.ack';
/** The ack is rewritten in place at this fixed width (digits, spaces, newline). */
const ACK_WIDTH = 24;

/** Replaces the ack file whole (at open: it may hold an older, wider format). */
function replaceAckSync(dir: string, offset: number): void {
  const tmp = join(dir, `${ACK_FILE}.tmp`);
  writeFileSync(tmp, ackText(offset));
  renameSync(tmp, join(dir, ACK_FILE));
}

function ackText(offset: number): string {
  return `${String(offset).padEnd(ACK_WIDTH - 1, ' ')}\n`;
}

async function readAck(dir: string): Promise<number> {
  try {
    const n = Number((await readFile(join(dir, ACK_FILE), 'utf8')).trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * The event's canonical JSON. A value canonical JSON cannot hold (a non-finite number, which
 * the audit layer never builds) must not stall every session's replies behind a batch that can
 * never be written: such an event is written as JSON.stringify reads it (null), canonically.
 */
function spoolLine(event: AuditEvent): string {
  try {
    return canonicalEventJson(event);
  } catch {
    return canonicalEventJson(JSON.parse(JSON.stringify(event)) as AuditEvent);
  }
}

export async function openAuditSpool(options: AuditSpoolOptions): Promise<AuditSpool> {
  const { dir } = options;
  const compactBytes = options.compactBytes ?? 1024 * 1024;
  const sync = options.sync ?? 'none';
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const handle = await open(join(dir, SPOOL_FILE), 'a+', 0o600);
  let size = (await handle.stat()).size;
  let repairedBytes = 0;
  if (size > 0) {
    // Cut a torn last line: find the last newline in the final 64 KiB steps.
    let end = size;
    const chunk = Buffer.alloc(64 * 1024);
    let lastNewline = -1;
    while (end > 0 && lastNewline < 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) lastNewline = start + at;
      end = start;
    }
    const good = lastNewline + 1;
    if (good < size) {
      await handle.truncate(good);
      repairedBytes = size - good;
      size = good;
    }
  }
  const recordedAck = await readAck(dir);
  let acked = Math.min(recordedAck, size);
  let queue: Promise<unknown> = Promise.resolve();
  let memory: MemoryBatch[] = [];
  let memoryBytes = 0;
  /** Drops remembered batches that start before `offset` (acked, or read from the file). */
  const forgetBefore = (offset: number): void => {
    let drop = 0;
    while (drop < memory.length && memory[drop]!.start < offset) {
      const batch = memory[drop++]!;
      memoryBytes -= batch.end - batch.start;
    }
    if (drop > 0) memory = memory.slice(drop);
  };
  let closed = false;
  const counts = { writes: 0, fsyncs: 0, events: 0, skippedLines: 0 };
  const fd = handle.fd;

  /** One write(2) (more only if the kernel takes part of it); on failure the file is cut back. */
  const writeAll = (bytes: Buffer): void => {
    const start = size;
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (err) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // The next append's write fails the same way, or the open() after a restart cuts it.
      }
      throw new AuditFailure('GH_ERR_AUDIT_SPOOL', 'could not write to the audit spool', { cause: err });
    }
    counts.writes++;
    size += bytes.length;
  };
  const datasync = (): Promise<void> =>
    new Promise((resolve, reject) => {
      fdatasync(fd, (err) => {
        if (err) reject(new AuditFailure('GH_ERR_AUDIT_SPOOL', 'could not sync the audit spool', { cause: err }));
        else {
          counts.fsyncs++;
          resolve();
        }
      });
    });
  const remember = (events: readonly AuditEvent[], lines: readonly string[], start: number): void => {
    counts.events += events.length;
    if (memoryBytes + (size - start) <= MEMORY_BYTES) {
      memory.push({ events, lines, start, end: size });
      memoryBytes += size - start;
    }
  };
  /** 'always': each event is written and synced before the next; resolves after the last. */
  const appendEachSynced = async (events: readonly AuditEvent[], lines: readonly string[]): Promise<void> => {
    for (let i = 0; i < events.length; i++) {
      const start = size;
      writeAll(Buffer.from(`${lines[i]!}\n`));
      remember(events.slice(i, i + 1), lines.slice(i, i + 1), start);
      await datasync();
    }
  };
  let syncing: Promise<void> = Promise.resolve();

  /** Runs reads one after another. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  };
  const checkOpen = () => {
    if (closed) throw new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit spool is closed');
  };

  // An ack past the end (a crash between compaction and the ack write) must not survive to
  // skip events appended later.
  replaceAckSync(dir, acked);
  // Each ack afterwards is one pwrite of a fixed-width line at offset 0, not a new file and a
  // rename per batch (a rename is a journalled metadata change: it was the largest single cost
  // of the audit path). A write this small to one page is never seen half done by a reader
  // after the process dies; a power loss that tore it leaves text readAck() reads as 0, and
  // the store drops the uids it already holds when everything is resent.
  const ackFd = openSync(join(dir, ACK_FILE), 'r+');
  const writeAckSync = (offset: number): void => {
    writeSync(ackFd, ackText(offset), 0);
  };

  return {
    repairedBytes,
    sync,
    append(events, canonical) {
      try {
        checkOpen();
        // Each line is the event's canonical JSON (RFC 8785), the text the store hashes: the
        // event is serialized once, here (or was written so by the audit: `canonical`), and the
        // store chains these bytes as they are.
        const lines = events.map((e, i) => canonical?.[i] ?? spoolLine(e));
        if (sync === 'always') {
          // One line per write so that each event's sync covers it alone; queued behind the
          // syncs before it, so the file's order is the order of appends.
          syncing = syncing.catch(() => undefined).then(() => appendEachSynced(events, lines));
          return syncing;
        }
        const start = size;
        let text = '';
        const ends: number[] = [];
        for (const line of lines) {
          text += line;
          ends.push(text.length);
          text += '\n';
        }
        writeAll(Buffer.from(text));
        // Kept until acked: slices of the batch's one flat string (Buffer.from flattened it),
        // not each line's own rope of a few dozen pieces, which would live long enough to be
        // promoted and cost the garbage collector more than serializing did.
        const kept = ends.map((end, i) => text.slice(i === 0 ? 0 : ends[i - 1]! + 1, end));
        remember(events, kept, start);
        if (sync === 'none') return Promise.resolve();
        // One fdatasync per batch; a later batch's sync waits for this one's, in order.
        syncing = syncing.catch(() => undefined).then(datasync);
        return syncing;
      } catch (err) {
        return Promise.reject(err);
      }
    },
    read(max) {
      checkOpen();
      return serial(async () => {
        forgetBefore(acked);
        if (memory.length > 0 && memory[0]!.start === acked && memory[0]!.events.length <= max) {
          // Whole batches from memory, as many as fit in `max`.
          const events: AuditEvent[] = [];
          const canonical: string[] = [];
          let end = acked;
          for (const batch of memory) {
            if (batch.start !== end || events.length + batch.events.length > max) break;
            for (const e of batch.events) events.push(e);
            for (const line of batch.lines) canonical.push(line);
            end = batch.end;
          }
          return { events, end, skipped: 0, fromMemory: true, canonical };
        }
        const events: AuditEvent[] = [];
        let skipped = 0;
        let position = acked;
        let length = Math.min(size - position, 256 * 1024);
        while (events.length < max && position < size) {
          const buffer = Buffer.alloc(length);
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          let from = 0;
          for (;;) {
            const nl = buffer.indexOf(0x0a, from);
            if (nl < 0 || nl >= bytesRead || events.length >= max) break;
            try {
              events.push(JSON.parse(buffer.toString('utf8', from, nl)) as AuditEvent);
            } catch {
              skipped++;
              counts.skippedLines++;
            }
            from = nl + 1;
          }
          if (from === 0) {
            if (position + bytesRead >= size) break; // no newline before the end: nothing whole to read
            length *= 2; // one line longer than the buffer
          }
          position += from;
        }
        return { events, end: position, skipped, fromMemory: false };
      });
    },
    ack(end) {
      checkOpen();
      if (end > acked) {
        acked = Math.min(end, size);
        if (acked === size && size >= compactBytes) {
          // Everything is delivered: empty the file first, then the ack. A crash between the
          // two leaves an ack past the end, which open() clamps. Both are synchronous (as every
          // ack write is), so that no append lands between them: a stale ack must never cover
          // a new event.
          ftruncateSync(fd, 0);
          size = 0;
          acked = 0;
          memory = [];
          memoryBytes = 0;
        }
        writeAckSync(acked);
      }
      return Promise.resolve();
    },
    pendingBytes: () => size - acked,
    stats: () => ({
      ...counts,
      repairedRecords: repairedBytes > 0 ? 1 : 0,
      repairedBytes,
    }),
    async close() {
      if (closed) return;
      closed = true;
      await syncing.catch(() => undefined);
      await queue;
      closeSync(ackFd);
      await handle.close();
    },
  };
}
