// What every measurement gets: the live targets, how big to make things, and where to write.
import type { BenchDb } from '../bench-db.js';
import type { BenchOptions } from '../options.js';
import type { BenchProfile } from '../profile.js';
import type { Endpoint, Target } from '../targets/target.js';

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
  /** Starts a target that only one measurement needs (the audit-off gateway), or undefined. */
  readonly startExtra: (name: 'gatehouse-1proc-noaudit') => Promise<LiveTarget>;
  log(message: string): void;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
