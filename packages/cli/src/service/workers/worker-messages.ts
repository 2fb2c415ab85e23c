// The messages between the supervisor and its session workers (child processes forked with
// `serialization: 'advanced'`, so Buffers, Dates and Maps travel as they are).
import type { AppendResult } from '@gatehouse/auth';
import type { AuditEvent, GatehouseConfig, MetricsJson } from '@gatehouse/common';

/** Supervisor → worker. A `socket` message carries the client socket as its handle. */
export type ToWorker =
  | {
      readonly type: 'start';
      readonly config: GatehouseConfig;
      readonly index: number;
      readonly count: number;
      readonly ticketKey: Buffer;
    }
  | { readonly type: 'socket'; readonly id: number; readonly unixPath?: string; readonly serverVersion?: string }
  | { readonly type: 'reload'; readonly config: GatehouseConfig }
  | { readonly type: 'ticket-key'; readonly key: Buffer }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'audit-done'; readonly id: number; readonly result?: AppendResult; readonly error?: string }
  | { readonly type: 'drain'; readonly graceMs: number };

/** Worker → supervisor. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  /** The connection handed over as `id` has ended: the supervisor releases its limit slots. */
  | { readonly type: 'closed'; readonly id: number }
  /**
   * Events for the one audit store: their canonical JSON when the spool had it (the supervisor
   * parses it back, as it would read the spool file: about a third of the cost of cloning the
   * event objects over IPC), else the events themselves.
   */
  | {
      readonly type: 'audit';
      readonly id: number;
      readonly validated: boolean;
      readonly canonical: readonly string[];
    }
  | { readonly type: 'audit'; readonly id: number; readonly validated: boolean; readonly events: readonly AuditEvent[] }
  | { readonly type: 'metrics'; readonly id: number; readonly proxy: MetricsJson; readonly engine: MetricsJson };
