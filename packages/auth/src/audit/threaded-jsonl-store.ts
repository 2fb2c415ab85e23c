// The JSONL audit store with its writer in a thread of its own (writer-thread.ts). The sessions'
// event loop only hands each batch over (the uids and the canonical lines the spool already
// wrote: a string copy per event) and settles the promise when the thread says the group write
// is done; the SHA-256 chain, the uid window, the log and HEAD writes happen on the thread.
// Reads (search, pages, sessions, verify) never needed the writer's state and stay here.
// On a host with two cores or fewer it only moves the work: see auditWriterThread().
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type AuditEvent, AuditFailure, type ErrorCode, GatehouseError } from '@gatehouse/common';
import type { AppendResult, AuditStore } from './audit-store.js';
import { auditLogReaders } from './jsonl-store.js';
import type { TailRepair } from './open-log.js';
import type { FromWriterThread, ThreadError, ToWriterThread, WriterThreadData } from './writer-thread-messages.js';

export interface ThreadedJsonlAuditStoreOptions {
  readonly dir: string;
  readonly onRepair?: (repair: TailRepair) => void;
  readonly onGroupWritten?: (seconds: number) => void;
}

/** config audit.writer_thread: 'auto' uses the thread when more than two cores are available. */
export type WriterThreadSetting = 'auto' | 'on' | 'off';

/**
 * Whether the store gets its writer thread. Not on two cores: there the sessions' event loop
 * has one core and the database or the other processes the second, so the thread's work only
 * moves to a core that is not idle (measured: the same qps with and without it, in
 * docs/performance.md), and the thread costs its memory.
 */
export function auditWriterThread(setting: WriterThreadSetting, cores = availableParallelism()): boolean {
  return setting === 'on' || (setting === 'auto' && cores > 2);
}

function fromThread(error: ThreadError): Error {
  return error.code?.startsWith('GH_ERR_')
    ? new GatehouseError(error.code as ErrorCode, error.message)
    : new AuditFailure('GH_ERR_AUDIT_WRITE', error.message);
}

interface Waiting {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (err: Error) => void;
}

export async function openThreadedJsonlAuditStore(options: ThreadedJsonlAuditStoreOptions): Promise<AuditStore> {
  const data: WriterThreadData = { dir: options.dir };
  const worker = new Worker(new URL('./writer-thread.js', import.meta.url), { workerData: data });
  const waiting = new Map<number, Waiting>();
  let nextId = 0;
  /** Set once the thread is gone or failed: every later append is refused with it. */
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  let onClosed: (() => void) | undefined;

  const failAll = (err: Error): void => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };

  // The writer keeps the process alive only while it owes an answer (an append in flight, the
  // close): an idle writer does not stop a process that is otherwise done from exiting.
  const settled = (): void => {
    if (waiting.size === 0 && closing === undefined) worker.unref();
  };

  await new Promise<void>((resolve, reject) => {
    const onStartMessage = (message: FromWriterThread): void => {
      if (message.type === 'ready') {
        worker.off('error', onStartError);
        if (message.repair !== undefined) options.onRepair?.(message.repair);
        resolve();
      } else if (message.type === 'open-failed') reject(fromThread(message.error));
    };
    const onStartError = (err: Error): void => reject(err);
    worker.once('message', onStartMessage);
    worker.once('error', onStartError);
  });

  worker.on('message', (message: FromWriterThread) => {
    switch (message.type) {
      case 'appended':
      case 'append-failed': {
        const w = waiting.get(message.id);
        waiting.delete(message.id);
        settled();
        if (message.type === 'appended') w?.resolve(message.result);
        else w?.reject(fromThread(message.error));
        return;
      }
      case 'group-written':
        options.onGroupWritten?.(message.seconds);
        return;
      case 'closed':
        onClosed?.();
        return;
      default:
        return;
    }
  });
  // A thread that dies takes no event with it: its appends are refused, so they stay in the
  // spool (or with the engine) and are sent again to the next writer.
  worker.on('error', (err) =>
    failAll(new AuditFailure('GH_ERR_AUDIT_WRITE', 'the audit writer thread failed', { cause: err })),
  );
  worker.on('exit', () => failAll(new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit store is closed')));
  worker.unref();

  const send = (message: ToWriterThread & { id: number }): Promise<AppendResult> => {
    if (failure !== undefined || closing !== undefined)
      return Promise.reject(failure ?? new AuditFailure('GH_ERR_AUDIT_CLOSED', 'audit store is closed'));
    return new Promise<AppendResult>((resolve, reject) => {
      if (waiting.size === 0) worker.ref();
      waiting.set(message.id, { resolve, reject });
      worker.postMessage(message);
    });
  };

  return {
    append(events: readonly AuditEvent[], appendOptions) {
      const id = ++nextId;
      const canonical = appendOptions?.canonical;
      if (appendOptions?.validated === true && canonical !== undefined && canonical.length === events.length) {
        const uids = new Array<string>(events.length);
        for (let i = 0; i < events.length; i++) uids[i] = events[i]!.uid;
        return send({ type: 'append-canonical', id, uids, canonical: canonical as string[] });
      }
      return send({ type: 'append', id, events: events as AuditEvent[], validated: appendOptions?.validated === true });
    },
    ...auditLogReaders(options.dir),
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (failure !== undefined) {
          resolve();
          return;
        }
        onClosed = resolve;
        worker.ref();
        worker.once('exit', () => resolve());
        worker.postMessage({ type: 'close' } satisfies ToWriterThread);
      });
      return closing;
    },
  };
}
