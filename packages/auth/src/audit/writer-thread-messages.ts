// What the main thread and the audit writer thread (writer-thread.ts) say to each other. Both
// ends are this package's own code, built together, so the shapes are types, not schemas.
import type { AuditEvent } from '@gatehouse/common';
import type { AppendResult } from './audit-store.js';
import type { TailRepair } from './open-log.js';

/** What the thread is started with (workerData). */
export interface WriterThreadData {
  readonly dir: string;
}

/** An error as it crosses the thread boundary: enough to rebuild an AuditFailure. */
export interface ThreadError {
  readonly code: string | undefined;
  readonly message: string;
}

export type ToWriterThread =
  /** Events the main thread validated and serialized: the thread only chains and writes. */
  | { readonly type: 'append-canonical'; readonly id: number; readonly uids: string[]; readonly canonical: string[] }
  /** Event objects (cloned): the thread validates them unless `validated`, and serializes them. */
  | { readonly type: 'append'; readonly id: number; readonly events: AuditEvent[]; readonly validated: boolean }
  | { readonly type: 'close' };

export type FromWriterThread =
  | { readonly type: 'ready'; readonly repair: TailRepair | undefined }
  | { readonly type: 'open-failed'; readonly error: ThreadError }
  | { readonly type: 'appended'; readonly id: number; readonly result: AppendResult }
  | { readonly type: 'append-failed'; readonly id: number; readonly error: ThreadError }
  | { readonly type: 'group-written'; readonly seconds: number }
  | { readonly type: 'closed' };
