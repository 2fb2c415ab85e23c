// What every measurement gets: the live targets, how big to make things, and where to write.
import type { BenchDb } from '../bench-db.js';
import type { BenchOptions } from '../options.js';
import type { BenchProfile } from '../profile.js';
import type { Endpoint, ExtraTargetName, Target } from '../targets/target.js';

export interface LiveTarget {
  readonly target: Target;
  readonly endpoint: Endpoint;
}

export interface MeasureContext {
  readonly live: readonly LiveTarget[];
  readonly db: BenchDb;
  readonly profile: BenchProfile;
  readonly options: BenchOptions;
  readonly workDir: string;
  /** Starts a target that only one measurement needs (the audit-off gateway, the no-db-resumption one). */
  readonly startExtra: (name: ExtraTargetName) => Promise<LiveTarget>;
  log(message: string): void;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The targets starting at a different one each round, so none always runs first (right after
 * another target's heavy run, or first when the machine's background load changes).
 */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
