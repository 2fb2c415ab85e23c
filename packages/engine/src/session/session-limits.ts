// Session limits from the roles: close when the user's certificate expires (with
// disconnect_expired_cert), when client_idle_timeout passes with no command, or when the user is
// locked. Each closes with an ERR that says why (ER_CONNECTION_KILLED / ER_CLIENT_INTERACTION_TIMEOUT).
import type { SessionOptions } from '@gatehouse/common';
import { type ErrFields, ServerError } from '@gatehouse/mysql-protocol';
import { activeLock, type ClusterSnapshot, type EngineCluster } from '../cluster/engine-cluster.js';
import { EngineMysqlError } from '../errors.js';

export interface LimitTarget {
  readonly lastActivity: number;
  readonly busy: boolean;
  requestClose(err: ErrFields): void;
}

export interface SessionLimitsInput {
  readonly user: string;
  readonly certNotAfter: Date;
  readonly options: SessionOptions;
  readonly cluster: Pick<EngineCluster, 'onChange'>;
  readonly target: LimitTarget;
  readonly now?: () => number;
}

/** setTimeout's ceiling; longer waits are re-armed. */
const MAX_TIMER = 0x7fffffff;

export function startSessionLimits(input: SessionLimitsInput): () => void {
  const { user, target, options } = input;
  const now = input.now ?? Date.now;
  // One live timer per limit: [certificate expiry, idle].
  const timers: (NodeJS.Timeout | undefined)[] = [undefined, undefined];
  let stopped = false;

  const arm = (slot: 0 | 1, at: number, fire: () => void): void => {
    const timer = setTimeout(
      () => {
        if (stopped) return;
        if (now() < at) arm(slot, at, fire);
        else fire();
      },
      Math.min(MAX_TIMER, Math.max(0, at - now())),
    );
    timer.unref();
    timers[slot] = timer;
  };

  if (options.disconnectExpiredCert) {
    arm(0, input.certNotAfter.getTime(), () =>
      target.requestClose({
        ...EngineMysqlError.ConnectionKilled,
        message: `session closed: the certificate of user ${user} expired at ${input.certNotAfter.toISOString()}; issue a new one with 'gatectl auth sign'`,
      }),
    );
  }

  const idle = options.clientIdleTimeoutMs;
  if (idle !== undefined) {
    const check = (): void => {
      const due = target.lastActivity + idle;
      if (now() >= due && !target.busy) {
        target.requestClose({
          ...ServerError.ClientInteractionTimeout,
          message: `session closed: no command for ${Math.round(idle / 1000)} s (client_idle_timeout of the roles of user ${user})`,
        });
        return;
      }
      arm(1, Math.max(due, now() + Math.min(idle, 1000)), check);
    };
    arm(1, target.lastActivity + idle, check);
  }

  const unsubscribe = input.cluster.onChange((snapshot: ClusterSnapshot) => {
    const lock = activeLock(snapshot, user, new Date(now()));
    if (lock === undefined) return;
    const reason = lock.message ? `: ${lock.message}` : '';
    target.requestClose({
      ...EngineMysqlError.ConnectionKilled,
      message: `session closed: user ${user} is locked${reason}`,
    });
  });

  return () => {
    stopped = true;
    for (const timer of timers) if (timer !== undefined) clearTimeout(timer);
    unsubscribe();
  };
}
