// A stand-in for Engine.drain(reason), enough for `gatectl engine drain` to be carried out and
// tested: the engine takes no new session streams and tells every proxy it is draining (the
// registration's `state`), so the proxies route new sessions to a serving peer. Live sessions
// are left to run. The migration work (issue 17, branch migcore) owns the real drain, which also
// moves each live session to a peer; its version replaces this file when both are merged.
import type { EngineState } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { DrainControl } from './drain-requests.js';

export interface MinimalDrainOptions {
  /** Tells every proxy tunnel (now and on reconnect) the engine's state. */
  readonly announce: (state: EngineState) => void;
  readonly log: Logger;
}

export function createMinimalDrain(options: MinimalDrainOptions): DrainControl {
  let state: EngineState = 'serving';
  return {
    get state() {
      return state;
    },
    async drain(reason) {
      if (state === 'draining') return;
      state = 'draining';
      options.announce(state);
      options.log.info({ reason }, 'engine draining: no new sessions');
    },
  };
}
