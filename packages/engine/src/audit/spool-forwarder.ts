// Moves events from the spool to the proxy/auth side: read a batch, send it, and ack it in the
// spool only once the other side says it is stored. One batch is in flight at a time, so order
// is kept; a failed send is retried after a pause, and a restart resends whatever was not acked.
import type { AuditEvent } from '@gatehouse/common';
import type { AuditSpool, SpoolRead } from './spool.js';

export interface SpoolForwarderOptions {
  readonly spool: AuditSpool;
  /** Delivers a batch; resolves when the receiver has stored it (its ack). `read`: where it came from. */
  readonly send: (events: readonly AuditEvent[], read: SpoolRead) => Promise<void>;
  /** Default 512. */
  readonly maxBatch?: number;
  /** Pause after a failed send; default 1 s. */
  readonly retryDelayMs?: number;
  readonly onError?: (err: unknown) => void;
}

export interface SpoolForwarder {
  /** Say that the spool has new events. */
  notify(): void;
  /** Resolves once everything spooled so far has been acknowledged. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export function startSpoolForwarder(options: SpoolForwarderOptions): SpoolForwarder {
  const { spool, send } = options;
  const maxBatch = options.maxBatch ?? 512;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  let stopped = false;
  let wake: (() => void) | undefined;
  let drainedWaiters: Array<() => void> = [];

  const sleep = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
      const done = () => {
        if (timer) clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      wake = done;
    });

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        const batch = await spool.read(maxBatch);
        if (batch.events.length === 0) {
          if (batch.end > 0) await spool.ack(batch.end); // only unparsable lines were left
          const waiters = drainedWaiters;
          drainedWaiters = [];
          for (const w of waiters) w();
          await sleep();
          continue;
        }
        await send(batch.events, batch);
        await spool.ack(batch.end);
      } catch (err) {
        if (stopped) break;
        options.onError?.(err);
        await sleep(retryDelayMs);
      }
    }
  };
  const running = loop();

  return {
    notify: () => wake?.(),
    drained() {
      if (spool.pendingBytes() === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drainedWaiters.push(resolve);
        wake?.();
      });
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
