// Feeds a tracker in the ways a relay would: commands first (pipelined), then the server
// stream in chunks of varying sizes.
import { createResponseTracker, type ResponseOutcome, type TrackedCommand } from '../../src/tracking/index.js';
import type { ProgressReport } from '../../src/tracking/outcome.js';
import { createClientFeed } from './client-feed.js';

export interface TrackRun {
  outcomes: ResponseOutcome[];
  progress: ProgressReport[];
}

export interface TrackOptions {
  capabilities: number;
  mariadbCapabilities?: number;
  commands: readonly TrackedCommand[];
  server: Buffer;
  /** Chunk boundaries in the server stream (sorted offsets); none = one chunk. */
  splits?: readonly number[];
  /** Client bytes (e.g. LOCAL INFILE data), pushed once the server stream reached `clientAt`. */
  client?: Buffer;
  clientAt?: number;
}

export function track(o: TrackOptions): TrackRun {
  const run: TrackRun = { outcomes: [], progress: [] };
  const tracker = createResponseTracker({
    capabilities: o.capabilities,
    mariadbCapabilities: o.mariadbCapabilities ?? 0,
    onOutcome: (x) => run.outcomes.push(x),
    onProgress: (p) => run.progress.push(p),
  });
  for (const c of o.commands) tracker.onCommand(c);
  const pushClient = createClientFeed(tracker);
  let from = 0;
  const cuts = [...(o.splits ?? []), o.server.length];
  if (o.clientAt !== undefined && !cuts.includes(o.clientAt)) cuts.push(o.clientAt);
  cuts.sort((a, b) => a - b);
  for (const at of cuts) {
    tracker.pushServer(o.server.subarray(from, at));
    from = at;
    if (o.client !== undefined && at === o.clientAt) pushClient(o.client);
  }
  return run;
}

/** Every way to cut `length` bytes in two, plus a few three-way cuts. */
export function splitPlans(length: number): number[][] {
  const plans: number[][] = [[]];
  for (let i = 1; i < length; i++) plans.push([i]);
  for (let i = 1; i + 7 < length; i += 7) plans.push([i, i + 7]);
  return plans;
}
