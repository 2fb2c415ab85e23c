// Resident memory of the gatehouse processes, read from /proc the way `ps` does, for tests that
// bound how much a process may buffer.
import { readFileSync } from 'node:fs';

/** VmRSS of `pid` in bytes (/proc/<pid>/status reports kB). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export interface RssSampler {
  /** Samples once more now (call it at the moments that matter, besides the timer). */
  sample(): void;
  /** The largest growth over the baseline seen so far, per pid. */
  growth(): Map<number, number>;
  stop(): void;
}

/**
 * Takes a baseline of each pid's RSS, then samples every `everyMs` until stopped, keeping the
 * maximum. The timer is the sampling rate, not a wait: nothing waits on it.
 */
export function startRssSampler(pids: readonly number[], everyMs = 25): RssSampler {
  const baseline = new Map(pids.map((pid) => [pid, readRssBytes(pid)]));
  const max = new Map(baseline);
  const sample = (): void => {
    for (const pid of pids) {
      const rss = readRssBytes(pid);
      if (rss > (max.get(pid) ?? 0)) max.set(pid, rss);
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    sample,
    growth: () => new Map(pids.map((pid) => [pid, (max.get(pid) ?? 0) - (baseline.get(pid) ?? 0)])),
    stop: () => clearInterval(timer),
  };
}
