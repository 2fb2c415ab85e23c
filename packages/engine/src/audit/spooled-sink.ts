// The sink an engine's sessions emit into, and the write-ahead gate their replies pass through.
// Events emitted in one turn of the event loop are appended to the spool as one batch at the
// end of that turn (setImmediate): one write(2), plus the fdatasync that `spool_sync` asks for.
// A session that finished a command in this turn holds the reply's bytes and asks afterWrite()
// to be told once the batch is written; so no client hears OK for a command whose audit event
// could still be lost with the process (docs/audit.md, "Write-ahead of the answer").
// A failed write keeps the batch (and the replies waiting on it) and retries: the clients wait
// rather than get an answer the audit log will not show.
import type { AuditEvent, AuditWriteGate, BatchingSink } from '@gatehouse/common';
import { AuditFailure } from '@gatehouse/common';
import type { AuditSpool } from './spool.js';

export interface SpooledAuditSink extends BatchingSink, AuditWriteGate {}

export interface SpooledAuditSinkOptions {
  /** Told after each batch is in the spool (wake the forwarder). */
  readonly onWritten?: () => void;
  readonly onError?: (err: unknown) => void;
  /** Wait before retrying a failed write; default 1 s. */
  readonly retryDelayMs?: number;
}

export function createSpooledAuditSink(spool: AuditSpool, options: SpooledAuditSinkOptions = {}): SpooledAuditSink {
  const retryDelayMs = options.retryDelayMs ?? 1000;
  let batch: AuditEvent[] = [];
  /** Each event's canonical JSON when the audit wrote it (else undefined): the spool's lines. */
  let lines: (string | undefined)[] = [];
  /** Told once `batch` is written. */
  let batchWaiters: Array<() => void> = [];
  /** Told once the batch being written now is written. */
  let writingWaiters: Array<() => void> = [];
  let writing = false;
  let scheduled = false;
  let closed = false;
  let emitted = 0;
  let delivered = 0;
  let batches = 0;
  let failures = 0;
  let idleWaiters: Array<() => void> = [];

  const notifyAll = (waiters: Array<() => void>): void => {
    for (const w of waiters) w();
  };

  const write = (): void => {
    scheduled = false;
    if (writing || batch.length === 0) return;
    const events = batch;
    const given = lines;
    writingWaiters = batchWaiters;
    batch = [];
    lines = [];
    batchWaiters = [];
    writing = true;
    spool.append(events, given).then(
      () => {
        writing = false;
        delivered += events.length;
        batches++;
        const waiters = writingWaiters;
        writingWaiters = [];
        notifyAll(waiters);
        options.onWritten?.();
        if (batch.length > 0) write();
        else {
          const idle = idleWaiters;
          idleWaiters = [];
          notifyAll(idle);
        }
      },
      (err: unknown) => {
        writing = false;
        failures++;
        batch = events.concat(batch);
        lines = given.concat(lines);
        batchWaiters = writingWaiters.concat(batchWaiters);
        writingWaiters = [];
        options.onError?.(err);
        setTimeout(write, retryDelayMs);
      },
    );
  };

  return {
    emit(event, canonical) {
      if (closed) throw new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit sink is closed');
      batch.push(event);
      lines.push(canonical);
      emitted++;
      if (!scheduled && !writing) {
        scheduled = true;
        // Every event of this turn joins the batch: one write for all commands it finished.
        setImmediate(write);
      }
    },
    get emitted() {
      return emitted;
    },
    afterWrite(done) {
      if (batch.length > 0) batchWaiters.push(done);
      else if (writing) writingWaiters.push(done);
      else done();
    },
    flush() {
      if (!writing && batch.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      await this.flush();
    },
    stats: () => ({ queued: batch.length, delivered, batches, failures }),
  };
}
