// One error boundary per connection. Node calls socket and stream listeners from its own frames
// (a read callback, a nextTick, a ws message handler); a listener that throws there reaches
// 'uncaughtException' and ends the process, taking every other session with it. guardEmitter
// puts a catch around every listener of one emitter, so such a throw ends that connection only.
import type { EventEmitter } from 'node:events';

/**
 * Routes any error a listener of `emitter` throws to `onError` instead of up the stack. `onError`
 * is expected to end the connection; the emit that failed reports that it had listeners. An
 * 'error' event with no listener is an error too: it goes to `onError` like a throw.
 */
export function guardEmitter(emitter: EventEmitter, onError: (err: unknown) => void): void {
  const emit = emitter.emit;
  let failing = false;
  // Called once per chunk on a relay: the common arities go through without a rest array.
  emitter.emit = function guardedEmit(this: EventEmitter, event: string | symbol, a?: unknown, b?: unknown): boolean {
    try {
      // biome-ignore lint/complexity/noArguments: forwards every arity without a rest array per emit.
      switch (arguments.length) {
        case 1:
          return emit.call(this, event);
        case 2:
          return emit.call(this, event, a);
        case 3:
          return emit.call(this, event, a, b);
        default:
          // biome-ignore lint/complexity/noArguments: as above, for the rare emit with more arguments.
          return emit.apply(this, arguments as unknown as [string | symbol, ...unknown[]]);
      }
    } catch (err) {
      // A failure inside onError's own teardown (destroy emits 'close') must not loop.
      if (failing) return true;
      failing = true;
      try {
        onError(err);
      } finally {
        failing = false;
      }
      return true;
    }
  };
}
