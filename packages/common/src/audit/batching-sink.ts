// The sink the engine's sessions emit into: emit() only pushes onto an array, and delivery
// happens off the per-packet path, a batch at a time (one JSON serialization, one write, one
// fsync per batch downstream). A failed delivery keeps the batch at the head of the queue and
// retries it, so order is kept and nothing is dropped; the spool behind it makes that durable.
import type { AuditSink } from './audit.js';
import { AuditFailure } from './audit-errors.js';
import type { AuditEvent } from './event-schemas.js';

export interface BatchingSinkOptions {
  /** Delivers one batch; resolves once it is safely stored (spooled, or appended and fsynced). */
  readonly deliver: (batch: readonly AuditEvent[]) => Promise<void>;
  /** Most events per delivery; default 512. */
  readonly maxBatch?: number;
  /** Wait before retrying a failed delivery; default 1 s. */
  readonly retryDelayMs?: number;
  /** Told of each failed delivery (log it); the batch is retried. */
  readonly onError?: (err: unknown) => void;
}

export interface BatchingSinkStats {
  readonly queued: number;
  readonly delivered: number;
  readonly batches: number;
  readonly failures: number;
}

export interface BatchingSink extends AuditSink {
  /** Resolves when every event emitted before the call has been delivered. */
  flush(): Promise<void>;
  /** Flushes, then refuses further events. */
  close(): Promise<void>;
  stats(): BatchingSinkStats;
}

export function createBatchingSink(options: BatchingSinkOptions): BatchingSink {
  const maxBatch = options.maxBatch ?? 512;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  let queue: AuditEvent[] = [];
  let running = false;
  let closed = false;
  let delivered = 0;
  let batches = 0;
  let failures = 0;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const run = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      try {
        await options.deliver(batch);
        delivered += batch.length;
        batches++;
      } catch (err) {
        failures++;
        queue = batch.concat(queue);
        options.onError?.(err);
        await new Promise<void>((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
    running = false;
    settleIdle();
  };

  const start = (): void => {
    if (running) return;
    running = true;
    // setImmediate lets every event emitted in this turn join the first batch.
    setImmediate(() => void run());
  };

  return {
    emit(event) {
      if (closed) throw new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit sink is closed');
      queue.push(event);
      start();
    },
    flush() {
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      await this.flush();
    },
    stats: () => ({ queued: queue.length, delivered, batches, failures }),
  };
}

/** One JSON line per event, serialized in one pass for the whole batch. */
export function serializeAuditBatch(events: readonly AuditEvent[]): string {
  let out = '';
  for (const e of events) out += `${JSON.stringify(e)}\n`;
  return out;
}
