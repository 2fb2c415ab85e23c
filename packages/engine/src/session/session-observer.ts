// What the relay reports for metrics, per command: forwarded (the clock starts), its reply
// ended (the clock stops: one histogram sample), denied. Replies come back in command order,
// so pipelined commands are matched first-in first-out. The per-command work is two
// performance.now() readings, one array push/shift and one observe on a child resolved when
// the session started: no label lookup and no allocation on the hot path.
import { type ClientCommand, errClassOf, type ErrFields, type ResponseOutcome, ServerError } from '@gatehouse/common';
import type { CommandKindLabel, SessionMetricChildren } from '../diag/metrics.js';

export interface RelayObserver {
  onForwarded(kind: ClientCommand['kind']): void;
  onOutcome(outcome: ResponseOutcome): void;
  onDenied(err: ErrFields): void;
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

  onForwarded(kind: ClientCommand['kind']): void {
    const latency = this.#children.latency;
    // Every tracked command gets an entry, so the queue stays aligned with the replies.
    this.#samples.push(latency === undefined || UNANSWERED.has(kind) ? undefined : latency[kindLabel(kind)]);
    this.#started.push(latency === undefined ? 0 : performance.now());
  }

  onOutcome(outcome: ResponseOutcome): void {
    if (outcome.kind === 'err') this.#children.errors(errClassOf(outcome.sqlState)).inc();
    if (!outcome.done || outcome.command === undefined) return;
    const started = this.#started.shift();
    const sample = this.#samples.shift();
    if (sample !== undefined && started !== undefined) sample.observe((performance.now() - started) / 1000);
  }

  onDenied(err: ErrFields): void {
    // A schema outside the role's db_names is the role's verdict; the rest are the fixed policy.
    this.#children.denials(err.errno === ServerError.DbAccessDenied.errno ? 'role' : 'policy').inc();
  }
}
