export interface BackoffOptions {
  /** First delay (default 250 ms). */
  readonly initial?: number;
  /** Ceiling (default 15 s). */
  readonly max?: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so many engines
 * cut off by one proxy restart do not all dial back in the same instant.
 */
export function computeBackoff(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initial ?? 250;
  const max = options.max ?? 15_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
