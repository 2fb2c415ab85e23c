// The cost of features that config switches turn on or off: point_select at 16 threads through
// the one-process gateway as configured by default, and through one-process gateways with the
// switches set otherwise (audit off, spool_sync batch/always, latency metrics off), alternated
// round by round in the same run. Each variant reports its qps and the gateway's CPU per query.
import { join } from 'node:path';
import { readTotalCpuMicros, readTotalSystemMicros } from '../proc-stats.js';
import { type MetricSpec, type Results, recordFailure, recordValue } from '../results.js';
import { TargetUnavailableError } from '../targets/target.js';
import { errorText, type LiveTarget, type MeasureContext } from './context.js';
import { createSysbenchTlsDir, runSysbench } from './sysbench.js';

export const SWITCH_COST_THREADS = 16;

export interface SwitchVariant {
  /** For the log and notes ("on", "batch", "off"). */
  readonly key: string;
  readonly metric: MetricSpec;
  /** The extra target with the switch set; absent: the default gatehouse-1proc. */
  readonly extra?: Parameters<MeasureContext['startExtra']>[0];
}

export interface SwitchCost {
  /** What is measured, for notes and the log ("audit", "metrics"). */
  readonly what: string;
  /** The first one is the baseline a failure is recorded against. */
  readonly variants: readonly SwitchVariant[];
  /** Alternating rounds over the variants; the median of each is reported (the mean for two). */
  readonly rounds: number;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function measureSwitchCost(ctx: MeasureContext, results: Results, spec: SwitchCost): Promise<void> {
  const { what } = spec;
  const withDefaults = ctx.live.find((l) => l.target.name === 'gatehouse-1proc');
  if (!withDefaults) {
    results.notes.push(`the cost of ${what} needs the gatehouse-1proc target; it was not run`);
    return;
  }
  const running: Array<{ variant: SwitchVariant; live: LiveTarget }> = [];
  try {
    for (const variant of spec.variants) {
      if (variant.extra === undefined) {
        running.push({ variant, live: withDefaults });
        continue;
      }
      try {
        running.push({ variant, live: await ctx.startExtra(variant.extra) });
      } catch (err) {
        // A missing config switch is a gap to report, not a failed measurement.
        if (err instanceof TargetUnavailableError)
          results.notes.push(`${what} ${variant.key} was not measured: ${errorText(err).split('\n')[0]}`);
        else recordFailure(results, variant.metric, 'gatehouse-1proc', errorText(err));
        ctx.log(`${what} cost (${variant.key}): ${errorText(err)}`);
      }
    }
    if (!running.some((r) => r.variant.extra !== undefined)) return;
    const qps = new Map<string, number[]>();
    const cpu = new Map<string, { micros: number; queries: number }>();
    for (let i = 0; i < spec.rounds; i++) {
      for (const { variant, live } of running) {
        const dir = createSysbenchTlsDir(live.endpoint, join(ctx.workDir, 'sysbench-tls', live.target.name));
        const pids = live.target.pids();
        const before = readTotalCpuMicros(pids);
        const systemBefore = readTotalSystemMicros(pids);
        const f = await runSysbench('oltp_point_select', SWITCH_COST_THREADS, live.endpoint, dir, ctx);
        // The gateway's CPU over the sysbench run (its connects included) per query served.
        const used = readTotalCpuMicros(pids) - before;
        const system = readTotalSystemMicros(pids) - systemBefore;
        const queries = f.qps * ctx.profile.sysbenchSeconds;
        const c = cpu.get(variant.key) ?? { micros: 0, queries: 0 };
        cpu.set(variant.key, { micros: c.micros + used, queries: c.queries + queries });
        qps.set(variant.key, [...(qps.get(variant.key) ?? []), f.qps]);
        ctx.log(
          `${what} ${variant.key}: ${f.qps.toFixed(0)} qps, ${(used / queries).toFixed(1)} µs gateway CPU per query (${(system / queries).toFixed(1)} of it system)`,
        );
      }
    }
    for (const { variant } of running) {
      recordValue(results, variant.metric, 'gatehouse-1proc', median(qps.get(variant.key) ?? [0]));
      const c = cpu.get(variant.key);
      if (c === undefined || c.queries === 0) continue;
      const label = `${variant.metric.label.replace(/: qps$/, '')}: gateway CPU per query`;
      recordValue(
        results,
        { id: `${variant.metric.id}.cpu`, label, unit: 'µs', digits: 1 },
        'gatehouse-1proc',
        c.micros / c.queries,
      );
    }
  } catch (err) {
    const first = spec.variants[0];
    if (first !== undefined) recordFailure(results, first.metric, 'gatehouse-1proc', errorText(err));
  } finally {
    for (const { variant, live } of running) if (variant.extra !== undefined) await live.target.stop();
  }
}
