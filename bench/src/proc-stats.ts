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

/**
 * CPU time (user + system) a process has used, in microseconds, from /proc/PID/stat, or
 * undefined when it is gone. Clock ticks are 10 ms (USER_HZ 100): over a run of seconds that
 * is well under a percent.
 */
export function readCpuMicros(pid: number): number | undefined {
  const split = readCpuSplitMicros(pid);
  return split === undefined ? undefined : split.user + split.system;
}

/** User and system (kernel: syscalls, file writes, TLS socket I/O) CPU time apart, in µs. */
export function readCpuSplitMicros(pid: number): { user: number; system: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime)
    ? { user: utime * 10_000, system: stime * 10_000 }
    : undefined;
}

/** System CPU microseconds of several processes (the gone ones count 0). */
export function readTotalSystemMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += readCpuSplitMicros(pid)?.system ?? 0;
  return total;
}

/** Total CPU microseconds of several processes (the gone ones count 0). */
export function readTotalCpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += readCpuMicros(pid) ?? 0;
  return total;
}
