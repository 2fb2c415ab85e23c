// A session worker's audit store: append() sends the batch to the supervisor, the one writer of
// the chain, and resolves with its ack (docs/architecture.md "Session workers", Audit).
import { type AppendResult, type AuditStore, canonicalEventJson } from '@gatehouse/auth';
import type { FromWorker, ToWorker } from './worker-messages.js';

export interface SupervisorAudit {
  readonly store: Pick<AuditStore, 'append'>;
  /** The supervisor's ack of one append. */
  settle(message: Extract<ToWorker, { type: 'audit-done' }>): void;
}

export function createSupervisorAudit(tell: (message: FromWorker) => void): SupervisorAudit {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (r: AppendResult) => void; reject: (e: Error) => void }>();
  return {
    store: {
      append(events, options) {
        if (!process.connected) return Promise.reject(new Error('the supervisor is gone; events stay in the spool'));
        const id = ++nextId;
        return new Promise<AppendResult>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          const validated = options?.validated === true;
          // Validated events without their text (a split-shape proxy worker's, from an engine's
          // audit.append) cross as canonical JSON too: a string costs far less to send over IPC
          // than the object graph, and the supervisor's store would serialize them anyway.
          const canonical =
            options?.canonical ?? (validated ? events.map((event) => canonicalEventJson(event)) : undefined);
          tell(
            canonical !== undefined && canonical.length === events.length
              ? { type: 'audit', id, validated, canonical }
              : { type: 'audit', id, validated, events },
          );
        });
      },
    },
    settle(message) {
      const wait = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error !== undefined) wait?.reject(new Error(message.error));
      else if (message.result !== undefined) wait?.resolve(message.result);
    },
  };
}
