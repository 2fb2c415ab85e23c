// The cost of command latency metrics: the default gateway (every command timed) against one
// with engine.command_latency_metrics off.
import { metricIds, type Results } from '../results.js';
import type { MeasureContext } from './context.js';
import { measureSwitchCost, SWITCH_COST_THREADS as THREADS } from './switch-cost.js';

export function measureMetricsCost(ctx: MeasureContext, results: Results): Promise<void> {
  return measureSwitchCost(ctx, results, {
    what: 'metrics',
    extra: 'gatehouse-1proc-nometrics',
    rounds: ctx.profile.metricsRounds,
    on: { id: metricIds.metricsQpsOn, label: `metrics on: point_select, ${THREADS} thr: qps`, unit: 'q/s', digits: 0 },
    off: { id: metricIds.metricsQpsOff, label: `command latency metrics off: point_select, ${THREADS} thr: qps`, unit: 'q/s', digits: 0 },
  });
}
