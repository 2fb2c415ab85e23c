// The engine's audit spool: events wait in a file on the engine's disk until the proxy/auth side
// acknowledges them, so a proxy restart or an engine crash loses nothing. `spool.jsonl` holds one
// event per line; `spool.ack` holds the byte offset up to which events were acknowledged.
// Redelivery after a crash is expected and harmless: the store is idempotent by uid.
// Batches appended by this process are also kept in memory (bounded) until acked, so the
// forwarder normally gets them back without reading and parsing the file; the file is what a
// restart reads.
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuditEvent, AuditFailure, serializeAuditBatch } from '@gatehouse/common';

export interface AuditSpoolOptions {
  readonly dir: string;
  /** Once everything is acknowledged and the file is past this size, it is emptied; default 1 MiB. */
  readonly compactBytes?: number;
}

export interface SpoolRead {
  readonly events: AuditEvent[];
  /** Pass to ack() once these events are safely stored. */
  readonly end: number;
  /** Lines that did not parse and were passed over. */
  readonly skipped: number;
}

export interface AuditSpool {
  /** Appends a batch and resolves once it is on disk (fdatasync). */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Up to `max` unacknowledged events, oldest first. */
  read(max: number): Promise<SpoolRead>;
  ack(end: number): Promise<void>;
  /** Bytes not yet acknowledged. */
  pendingBytes(): number;
  /** What opening cut from a torn last line, in bytes. */
  readonly repairedBytes: number;
  close(): Promise<void>;
}

const SPOOL_FILE = 'spool.jsonl';
/** Unacknowledged bytes kept in memory as events, beyond which reads go to the file. */
const MEMORY_BYTES = 8 * 1024 * 1024;

/** A batch appended by this process: its events and the bytes they take in the file. */
interface MemoryBatch {
  readonly events: readonly AuditEvent[];
  readonly start: number;
  readonly end: number;
}
const ACK_FILE = 'spool.ack';

async function readAck(dir: string): Promise<number> {
  try {
    const n = Number((await readFile(join(dir, ACK_FILE), 'utf8')).trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

export async function openAuditSpool(options: AuditSpoolOptions): Promise<AuditSpool> {
  const { dir } = options;
  const compactBytes = options.compactBytes ?? 1024 * 1024;
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

  /** Runs `job` after every earlier write, ack or compaction. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  };
  const checkOpen = () => {
    if (closed) throw new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit spool is closed');
  };
  const writeAck = async (offset: number) => {
    const tmp = join(dir, `${ACK_FILE}.tmp`);
    await writeFile(tmp, `${offset}\n`);
    await rename(tmp, join(dir, ACK_FILE));
  };

  // An ack past the end (a crash between compaction and the ack write) must not survive to
  // skip events appended later.
  if (recordedAck !== acked) await writeAck(acked);

  return {
    repairedBytes,
    append(events) {
      checkOpen();
      const bytes = Buffer.from(serializeAuditBatch(events));
      return serial(async () => {
        try {
          let written = 0;
          while (written < bytes.length) written += (await handle.write(bytes, written)).bytesWritten;
          await handle.datasync();
        } catch (err) {
          await handle.truncate(size).catch(() => undefined);
          throw new AuditFailure('GH_ERR_AUDIT_SPOOL', 'could not write to the audit spool', { cause: err });
        }
        if (memoryBytes + bytes.length <= MEMORY_BYTES) {
          memory.push({ events, start: size, end: size + bytes.length });
          memoryBytes += bytes.length;
        }
        size += bytes.length;
      });
    },
    read(max) {
      checkOpen();
      return serial(async () => {
        forgetBefore(acked);
        if (memory.length > 0 && memory[0]!.start === acked && memory[0]!.events.length <= max) {
          // Whole batches from memory, as many as fit in `max`.
          const events: AuditEvent[] = [];
          let end = acked;
          for (const batch of memory) {
            if (batch.start !== end || events.length + batch.events.length > max) break;
            for (const e of batch.events) events.push(e);
            end = batch.end;
          }
          return { events, end, skipped: 0 };
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
            }
            from = nl + 1;
          }
          if (from === 0) {
            if (position + bytesRead >= size) break; // no newline before the end: nothing whole to read
            length *= 2; // one line longer than the buffer
          }
          position += from;
        }
        return { events, end: position, skipped };
      });
    },
    ack(end) {
      checkOpen();
      return serial(async () => {
        if (end <= acked) return;
        acked = Math.min(end, size);
        if (acked === size && size >= compactBytes) {
          // Everything is delivered: empty the file first, then the ack. A crash between the
          // two leaves an ack past the end, which open() clamps.
          await handle.truncate(0);
          size = 0;
          acked = 0;
          memory = [];
          memoryBytes = 0;
        }
        await writeAck(acked);
      });
    },
    pendingBytes: () => size - acked,
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await handle.close();
    },
  };
}
