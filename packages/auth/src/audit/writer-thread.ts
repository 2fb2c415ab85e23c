// The audit writer thread: owns the JSONL store (the directory's lock, the hash chain, the group
// writes) so that hashing, the uid window and the file writes run beside the sessions' event
// loop instead of on it (threaded-jsonl-store.ts is the other end; docs/audit.md says when).
import { parentPort, workerData } from 'node:worker_threads';
import { openJsonlAuditStore } from './jsonl-store.js';
import type { FromWriterThread, ThreadError, ToWriterThread, WriterThreadData } from './writer-thread-messages.js';

const port = parentPort;
if (port === null) throw new Error('writer-thread.js runs as a worker thread');
const { dir } = workerData as WriterThreadData;

const tell = (message: FromWriterThread): void => port.postMessage(message);
const asThreadError = (err: unknown): ThreadError => ({
  code: typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined,
  message: err instanceof Error ? err.message : String(err),
});

try {
  const store = await openJsonlAuditStore({ dir, onGroupWritten: (seconds) => tell({ type: 'group-written', seconds }) });
  port.on('message', (message: ToWriterThread) => {
    if (message.type === 'close') {
      void store.close().finally(() => {
        tell({ type: 'closed' });
        port.close();
      });
      return;
    }
    const appended =
      message.type === 'append-canonical'
        ? store.appendCanonical(message.uids, message.canonical)
        : store.append(message.events, { validated: message.validated });
    appended.then(
      (result) => tell({ type: 'appended', id: message.id, result }),
      (err: unknown) => tell({ type: 'append-failed', id: message.id, error: asThreadError(err) }),
    );
  });
  // What opening repaired goes to the opener, which logs it.
  tell({ type: 'ready', repair: store.repair });
} catch (err) {
  tell({ type: 'open-failed', error: asThreadError(err) });
  port.close();
}
