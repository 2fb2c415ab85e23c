// The messages between the supervisor and its session workers (child processes forked with
// `serialization: 'advanced'`, so Buffers, Dates and Maps travel as they are).
import type { AppendResult } from '@gatehouse/auth';
import type { AuditEvent, GatehouseConfig } from '@gatehouse/common';
import type { MetricsJson } from '@gatehouse/common/metrics';
import type { LiveSessionView } from '@gatehouse/proxy';
import type { WorkerShape } from './worker-count.js';

/** Supervisor → worker. A `socket` message carries the client socket as its handle. */
export type ToWorker =
  | {
      readonly type: 'start';
      readonly shape: WorkerShape;
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
  | { readonly type: 'drain'; readonly graceMs: number }
  /** The Live page: the worker's sessions now, or end one of them. */
  | { readonly type: 'live'; readonly id: number }
  | {
      readonly type: 'terminate';
      readonly id: number;
      readonly sid: string;
      readonly by: string;
      readonly reason: string;
    };

/** Worker → supervisor. */
export type FromWorker =
  /** `tunnelAddr`: a proxy worker of the split shape, where engines reach its tunnel listener. */
  | { readonly type: 'ready'; readonly tunnelAddr?: string }
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
  | { readonly type: 'metrics'; readonly id: number; readonly proxy?: MetricsJson; readonly engine?: MetricsJson }
  | { readonly type: 'live'; readonly id: number; readonly sessions: readonly LiveSessionView[] }
  /** `via` when the worker ended the session; `error` (a GH_ERR_* code and text) when not. */
  | {
      readonly type: 'terminated';
      readonly id: number;
      readonly via?: 'engine' | 'proxy';
      readonly error?: { readonly code: string; readonly message: string };
    };
