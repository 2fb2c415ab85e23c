// sysbench oltp_point_select and oltp_read_only over TLS with client certificates. sysbench 1.0
// takes no certificate paths: with --mysql-ssl=on it loads client-key.pem, client-cert.pem and
// cacert.pem from its working directory, so each target gets a directory with those names.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from '../child.js';
import { readTotalCpuMicros } from '../proc-stats.js';
import type { BenchProfile } from '../profile.js';
import { metricIds, type Results, recordFailure, recordValue } from '../results.js';
import type { Endpoint } from '../targets/target.js';
import { errorText, type MeasureContext, rotate } from './context.js';
import { parseSysbenchOutput, type SysbenchFigures } from './sysbench-output.js';

export const WORKLOADS = ['oltp_point_select', 'oltp_read_only'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** A directory with the three file names sysbench 1.0 reads, for one endpoint. */
export function createSysbenchTlsDir(endpoint: Endpoint, dir: string): string {
  if (!existsSync(join(dir, 'cacert.pem'))) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(endpoint.tls.caFile, join(dir, 'cacert.pem'));
    copyFileSync(endpoint.tls.certFile, join(dir, 'client-cert.pem'));
    copyFileSync(endpoint.tls.keyFile, join(dir, 'client-key.pem'));
  }
  return dir;
}

function commonArgs(endpoint: Endpoint, profile: BenchProfile): string[] {
  return [
    '--db-driver=mysql',
    `--mysql-host=${endpoint.host}`,
    `--mysql-port=${endpoint.port}`,
    `--mysql-user=${endpoint.user}`,
    `--mysql-db=${endpoint.database}`,
    '--mysql-ssl=on',
    `--tables=${profile.sysbenchTables}`,
    `--table-size=${profile.sysbenchTableSize}`,
  ];
}

/** Creates and fills the sysbench tables once, directly. */
export async function prepareSysbenchTables(endpoint: Endpoint, tlsDir: string, profile: BenchProfile): Promise<void> {
  await runChecked(
    'sysbench',
    ['oltp_read_only', ...commonArgs(endpoint, profile), `--threads=${Math.min(profile.sysbenchTables, 4)}`, 'prepare'],
    { cwd: tlsDir, timeoutMs: 600_000 },
  );
}

export async function runSysbench(
  workload: Workload,
  threads: number,
  endpoint: Endpoint,
  tlsDir: string,
  ctx: Pick<MeasureContext, 'profile' | 'options'>,
): Promise<SysbenchFigures> {
  const { profile } = ctx;
  const r = await runChecked(
    'sysbench',
    [
      workload,
      ...commonArgs(endpoint, profile),
      `--db-ps-mode=${ctx.options.psMode}`,
      `--threads=${threads}`,
      `--time=${profile.sysbenchSeconds}`,
      '--rand-type=uniform',
      '--percentile=95',
      '--report-interval=0',
      'run',
    ],
    { cwd: tlsDir, timeoutMs: (profile.sysbenchSeconds + 120) * 1000 },
  );
  const figures = parseSysbenchOutput(r.stdout);
  if (figures.ignoredErrors > 0 || figures.reconnects > 0) {
    throw new Error(`sysbench saw ${figures.ignoredErrors} errors and ${figures.reconnects} reconnects`);
  }
  return figures;
}

const workloadLabel = (w: Workload): string => w.replace(/^oltp_/, '');

export async function measureSysbench(ctx: MeasureContext, results: Results): Promise<void> {
  // An untimed second per target first: connections, JIT and caches warm up.
  for (const { target, endpoint } of ctx.live) {
    const tlsDir = createSysbenchTlsDir(endpoint, join(ctx.workDir, 'sysbench-tls', target.name));
    await runSysbench('oltp_point_select', 4, endpoint, tlsDir, {
      ...ctx,
      profile: { ...ctx.profile, sysbenchSeconds: 1 },
    }).catch(() => undefined);
  }
  // Targets take turns within each workload and thread count, so drift in the machine's load
  // over the run falls on all of them alike; who goes first rotates.
  let round = 0;
  for (const workload of WORKLOADS) {
    for (const threads of ctx.options.threads) {
      const qpsMetric = {
        id: metricIds.sysbenchQps(workload, threads),
        label: `${workloadLabel(workload)}, ${threads} thr: qps`,
        unit: 'q/s',
        digits: 0,
      };
      const p95Metric = {
        id: metricIds.sysbenchP95(workload, threads),
        label: `${workloadLabel(workload)}, ${threads} thr: p95`,
        unit: 'ms',
        digits: 2,
      };
      // CPU per query of the processes between client and database (all of a target's
      // processes: MariaDB's own for direct), user + system time from /proc/PID/stat over the
      // run: steadier than qps on a shared machine, and comparable across machines.
      const cpuMetric = {
        id: metricIds.sysbenchCpu(workload, threads),
        label: `${workloadLabel(workload)}, ${threads} thr: CPU per query (the target's processes)`,
        unit: 'µs',
        digits: 1,
      };
      for (const { target, endpoint } of rotate(ctx.live, round++)) {
        const tlsDir = createSysbenchTlsDir(endpoint, join(ctx.workDir, 'sysbench-tls', target.name));
        try {
          const pids = target.pids();
          const before = pids.map((pid) => readTotalCpuMicros([pid]));
          const f = await runSysbench(workload, threads, endpoint, tlsDir, ctx);
          const queries = f.qps * ctx.profile.sysbenchSeconds;
          const perProcess = pids.map((pid, i) => (readTotalCpuMicros([pid]) - before[i]!) / queries);
          const cpu = perProcess.reduce((a, b) => a + b, 0);
          recordValue(results, qpsMetric, target.name, f.qps);
          recordValue(results, p95Metric, target.name, f.p95Ms);
          if (queries > 0 && pids.length > 0) recordValue(results, cpuMetric, target.name, cpu);
          const each = perProcess.length > 1 ? ` (${perProcess.map((c) => c.toFixed(1)).join(' + ')})` : '';
          ctx.log(
            `sysbench ${workload} ${threads} thr ${target.name}: ${f.qps.toFixed(0)} qps, p95 ${f.p95Ms} ms, ${cpu.toFixed(1)} µs CPU per query${each}`,
          );
        } catch (err) {
          recordFailure(results, qpsMetric, target.name, errorText(err));
          recordFailure(results, p95Metric, target.name, errorText(err));
          recordFailure(results, cpuMetric, target.name, errorText(err));
          ctx.log(`sysbench ${workload} ${threads} thr ${target.name}: failed: ${errorText(err)}`);
        }
      }
    }
  }
}
