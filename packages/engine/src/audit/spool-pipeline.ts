// Sessions → write-ahead sink → spool file → forwarder → the audit store (in this process, or
// over the tunnel): the same path in both deployment shapes, so an engine killed at any moment
// resends on restart whatever the store has not acknowledged, and the store drops the uids it
// already holds.
import type { AuditEvent } from '@gatehouse/common';
import type { Logger } from 'pino';
import type { AuditSpool, SpoolRead, SpoolStats } from './spool.js';
import { startSpoolForwarder } from './spool-forwarder.js';
import { createSpooledAuditSink, type SpooledAuditSink } from './spooled-sink.js';

export interface SpoolMetrics extends SpoolStats {
  /** Spooled bytes the store has not acknowledged yet. */
  readonly pendingBytes: number;
  /** Events the store acknowledged. */
  readonly delivered: number;
  /** Sends that failed (the events stay spooled and are sent again). */
  readonly deliveryFailures: number;
  /** Time (ms since the epoch) of the first event of the batch last read, the oldest waiting. */
  readonly oldestWaiting: number | undefined;
}

export interface SpoolPipelineOptions {
  readonly spool: AuditSpool;
  /**
   * Stores a batch; resolves once the store has it. `read.fromMemory`: the objects this process
   * built (else parsed back from disk); `read.canonical`: their canonical JSON, when known.
   */
  readonly send: (events: readonly AuditEvent[], read: SpoolRead) => Promise<void>;
  readonly log: Logger;
  /** How long close() waits for the store to take what is spooled; default 0 (a restart resends it). */
  readonly drainOnCloseMs?: number;
}

export interface SpoolPipeline {
  readonly sink: SpooledAuditSink;
  metrics(): SpoolMetrics;
  close(): Promise<void>;
}

export function startSpoolPipeline(options: SpoolPipelineOptions): SpoolPipeline {
  const { spool, log } = options;
  if (spool.repairedBytes > 0) {
    log.warn(
      { bytes: spool.repairedBytes, records: 1 },
      'audit spool: dropped a partial record that a crash cut off mid-write',
    );
  }
  let delivered = 0;
  let deliveryFailures = 0;
  let oldestWaiting: number | undefined;
  const forwarder = startSpoolForwarder({
    spool,
    send: async (events, read) => {
      // The forwarder reads oldest first: the batch's first event is the oldest waiting.
      const first = events[0];
      if (first !== undefined) oldestWaiting = Date.parse(first.time);
      try {
        await options.send(events, read);
      } catch (err) {
        deliveryFailures++;
        throw err;
      }
      delivered += events.length;
    },
    onError: (err) => log.debug({ err }, 'audit delivery failed; retrying'),
  });
  const sink = createSpooledAuditSink(spool, {
    onWritten: () => forwarder.notify(),
    onError: (err) => log.error({ err }, 'audit spool write failed; replies wait until it works'),
  });
  return {
    sink,
    metrics: () => ({
      ...spool.stats(),
      pendingBytes: spool.pendingBytes(),
      delivered,
      deliveryFailures,
      oldestWaiting,
    }),
    async close() {
      await sink.close();
      const ms = options.drainOnCloseMs ?? 0;
      if (ms > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          forwarder.drained(),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, ms);
          }),
        ]);
        clearTimeout(timer);
      }
      await forwarder.stop();
    },
  };
}
