// Resident memory of the processes under test, from /proc (Linux only, like the rest of the bench).
import { readFileSync } from 'node:fs';

/** VmRSS of a process in KiB, or undefined when the process is gone. */
export function readRssKiB(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Total RSS of several processes; throws if one of them is gone (a crashed gateway). */
export function readTotalRssKiB(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const rss = readRssKiB(pid);
    if (rss === undefined) throw new Error(`process ${pid} is gone`);
    total += rss;
  }
  return total;
}

/**
 * RSS once it stops moving: sampled every 200 ms until two samples a second apart differ by
 * less than 1%, or `maxMs` passes. Idle sessions settle quickly; GC may still be releasing.
 */
export async function readSettledRssKiB(pids: readonly number[], maxMs = 5_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let previous = readTotalRssKiB(pids);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = readTotalRssKiB(pids);
    if (Math.abs(now - previous) < previous * 0.01 || Date.now() > deadline) return now;
    previous = now;
  }
}
