// Loaded into a gateway process with `--import` by idle-breakdown-bench.ts. On SIGUSR2 it
// collects garbage (the process runs with --expose-gc), writes process.memoryUsage() and, when
// asked (a file named `snapshot` in that directory), a heap snapshot into BENCH_PROBE_DIR, and
// renames the report into place last, so the bench can wait for the file to appear.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const dir = process.env.BENCH_PROBE_DIR;
let taken = 0;

if (dir !== undefined) {
  process.on('SIGUSR2', () => {
    const tag = `${process.pid}-${taken++}`;
    // Twice: the first pass runs finalizers whose objects only the second one frees.
    globalThis.gc?.();
    globalThis.gc?.();
    const usage = process.memoryUsage();
    const spaces = getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used: s.space_used_size }));
    const snapshot = existsSync(join(dir, 'snapshot'))
      ? writeHeapSnapshot(join(dir, `${tag}.heapsnapshot`))
      : undefined;
    const report = join(dir, `${tag}.json`);
    writeFileSync(`${report}.tmp`, JSON.stringify({ pid: process.pid, usage, spaces, snapshot }));
    renameSync(`${report}.tmp`, report);
  });
}
