import { type BatchingSink, createBatchingSink } from '@gatehouse/common';
import type { AuditSpool } from './spool.js';
import type { SpoolForwarder } from './spool-forwarder.js';

/**
 * The sink an engine's sessions emit into: events are batched off the hot path, appended to
 * the spool (one write and one fdatasync per batch), and the forwarder is woken to send them.
 */
export function createSpooledAuditSink(
  spool: AuditSpool,
  forwarder: SpoolForwarder,
  onError?: (err: unknown) => void,
): BatchingSink {
  return createBatchingSink({
    deliver: async (batch) => {
      await spool.append(batch);
      forwarder.notify();
    },
    ...(onError ? { onError } : {}),
  });
}
