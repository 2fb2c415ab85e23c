// The cost of command latency metrics: the default gateway (every command timed) against one
// with engine.command_latency_metrics off.
import { metricIds, type Results } from '../results.js';
import type { MeasureContext } from './context.js';
import { measureSwitchCost, SWITCH_COST_THREADS as THREADS } from './switch-cost.js';

export function measureMetricsCost(ctx: MeasureContext, results: Results): Promise<void> {
  return measureSwitchCost(ctx, results, {
    what: 'metrics',
    rounds: ctx.profile.metricsRounds,
    variants: [
      {
        key: 'on',
        metric: {
          id: metricIds.metricsQpsOn,
          label: `metrics on: point_select, ${THREADS} thr: qps`,
          unit: 'q/s',
          digits: 0,
        },
      },
      {
        key: 'off',
        extra: 'gatehouse-1proc-nometrics',
        metric: {
          id: metricIds.metricsQpsOff,
          label: `command latency metrics off: point_select, ${THREADS} thr: qps`,
          unit: 'q/s',
          digits: 0,
        },
      },
    ],
  });
}
