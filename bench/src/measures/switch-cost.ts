// The cost of a feature that a config switch turns off: point_select at 16 threads through the
// one-process gateway as configured by default, and through a second one-process gateway with
// the switch off, alternated round by round in the same run.
import { join } from 'node:path';
import { type MetricSpec, recordFailure, recordValue, type Results } from '../results.js';
import { TargetUnavailableError } from '../targets/target.js';
import { errorText, type LiveTarget, type MeasureContext } from './context.js';
import { createSysbenchTlsDir, runSysbench } from './sysbench.js';

export const SWITCH_COST_THREADS = 16;

export interface SwitchCost {
  /** What is measured, for notes and the log ("audit", "metrics"). */
  readonly what: string;
  readonly extra: Parameters<MeasureContext['startExtra']>[0];
  readonly on: MetricSpec;
  readonly off: MetricSpec;
  /** Alternating (on, off) rounds; the median of each is reported (the mean for two). */
  readonly rounds: number;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function measureSwitchCost(ctx: MeasureContext, results: Results, spec: SwitchCost): Promise<void> {
  const { what, on, off } = spec;
  const withFeature = ctx.live.find((l) => l.target.name === 'gatehouse-1proc');
  if (!withFeature) {
    results.notes.push(`the cost of ${what} needs the gatehouse-1proc target; it was not run`);
    return;
  }
  let withoutFeature: LiveTarget;
  try {
    withoutFeature = await ctx.startExtra(spec.extra);
  } catch (err) {
    // A missing config switch is a gap to report, not a failed measurement.
    if (err instanceof TargetUnavailableError) results.notes.push(`the cost of ${what} was not measured: ${errorText(err).split('\n')[0]}`);
    else recordFailure(results, off, 'gatehouse-1proc', errorText(err));
    ctx.log(`${what} cost: ${errorText(err)}`);
    return;
  }
  try {
    const runs: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let i = 0; i < spec.rounds; i++) {
      for (const [key, live] of [['on', withFeature], ['off', withoutFeature]] as const) {
        const dir = createSysbenchTlsDir(live.endpoint, join(ctx.workDir, 'sysbench-tls', live.target.name));
        const f = await runSysbench('oltp_point_select', SWITCH_COST_THREADS, live.endpoint, dir, ctx);
        runs[key].push(f.qps);
        ctx.log(`${what} ${key}: ${f.qps.toFixed(0)} qps`);
      }
    }
    recordValue(results, on, 'gatehouse-1proc', median(runs.on));
    recordValue(results, off, 'gatehouse-1proc', median(runs.off));
  } catch (err) {
    recordFailure(results, on, 'gatehouse-1proc', errorText(err));
  } finally {
    await withoutFeature.target.stop();
  }
}
