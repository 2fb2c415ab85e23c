// What the relay reports for metrics, per command: forwarded (the clock starts), its reply
// ended (the clock stops: one histogram sample), denied. Replies come back in command order,
// so pipelined commands are matched first-in first-out. The times are the relay's own clock
// readings (it reads the clock at both points for the idle limit anyway), so the per-command
// work here is one array push/shift and one observe on a cell resolved when the session
// started: no clock read, no label lookup, no allocation.
import { errClassOf } from '@gatehouse/common/metrics';
import { type ClientCommand, type ErrFields, type ResponseOutcome, ServerError } from '@gatehouse/mysql-protocol';
import type { CommandKindLabel, SessionMetricChildren } from '../diag/metrics.js';

export interface RelayObserver {
  /** `now`: performance.now() when the command arrived. */
  onForwarded(kind: ClientCommand['kind'], now: number): void;
  /** `now`: performance.now() when the outcome was read (meaningful when it is `done`). */
  onOutcome(outcome: ResponseOutcome, now: number): void;
  /** `byHook`: an onCommand hook denied it (or failed), not the roles' policy. */
  onDenied(err: ErrFields, byHook?: boolean): void;
}

type Sample = { observe(seconds: number): void };

/** Commands the server never answers have no latency; they are not timed. */
const UNANSWERED = new Set<ClientCommand['kind']>(['quit', 'stmt_close', 'stmt_send_long_data']);

function kindLabel(kind: ClientCommand['kind']): CommandKindLabel {
  switch (kind) {
    case 'query':
      return 'query';
    case 'stmt_execute':
    case 'stmt_bulk_execute':
    case 'stmt_fetch':
      return 'execute';
    case 'stmt_prepare':
      return 'prepare';
    default:
      return 'other';
  }
}

export class SessionObserver implements RelayObserver {
  readonly #children: SessionMetricChildren;
  /** Start times and samples of the commands whose replies are still to come, oldest first. */
  readonly #started: number[] = [];
  readonly #samples: (Sample | undefined)[] = [];

  constructor(children: SessionMetricChildren) {
    this.#children = children;
  }

  onForwarded(kind: ClientCommand['kind'], now: number): void {
    const latency = this.#children.latency;
    // Every tracked command gets an entry, so the queue stays aligned with the replies.
    this.#samples.push(latency === undefined || UNANSWERED.has(kind) ? undefined : latency[kindLabel(kind)]);
    this.#started.push(now);
  }

  onOutcome(outcome: ResponseOutcome, now: number): void {
    if (outcome.kind === 'err') this.#children.errors(errClassOf(outcome.sqlState)).inc();
    if (!outcome.done || outcome.command === undefined) return;
    const started = this.#started.shift();
    const sample = this.#samples.shift();
    if (sample !== undefined && started !== undefined) sample.observe((now - started) / 1000);
  }

  onDenied(err: ErrFields, byHook = false): void {
    // A schema outside the role's db_names, or a COM_CHANGE_USER to a db user no role allows
    // (ER_ACCESS_DENIED_ERROR), is the role's verdict; the rest are the fixed policy.
    const byRole = err.errno === ServerError.DbAccessDenied.errno || err.errno === ServerError.AccessDenied.errno;
    this.#children.denials(byHook ? 'hook' : byRole ? 'role' : 'policy').inc();
  }
}
