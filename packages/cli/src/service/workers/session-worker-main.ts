// Entry of a session worker process (forked by session-workers.ts): waits for its start message.
import { runSessionWorker } from './session-worker.js';
import type { ToWorker } from './worker-messages.js';

process.once('message', (message: ToWorker) => {
  if (message.type !== 'start') return;
  runSessionWorker(message).catch((err: unknown) => {
    const text = err instanceof Error ? err.message : String(err);
    process.send?.({ type: 'failed', message: text }, () => process.exit(1));
  });
});
