// The cost of engine.hooks per query: point_select at 16 threads through the one-process gateway
// with no hooks, with a module that has only a connection hook (commands must cost nothing
// extra), and with a pass-through onCommand (one round trip to the hooks' worker thread per
// command), alternated round by round in the same run.
import { metricIds, type Results } from '../results.js';
import type { MeasureContext } from './context.js';
import { measureSwitchCost, SWITCH_COST_THREADS as THREADS } from './switch-cost.js';

export function measureHooksCost(ctx: MeasureContext, results: Results): Promise<void> {
  return measureSwitchCost(ctx, results, {
    what: 'hooks',
    // At least three rounds even in --short: one 2 s round per variant is mostly noise.
    rounds: Math.max(ctx.profile.metricsRounds, 3),
    variants: [
      {
        key: 'none',
        metric: {
          id: metricIds.hooksQpsNone,
          label: `no hooks: point_select, ${THREADS} thr: qps`,
          unit: 'q/s',
          digits: 0,
        },
      },
      {
        key: 'connect-only',
        extra: 'gatehouse-1proc-hooks-connect',
        metric: {
          id: metricIds.hooksQpsConnect,
          label: `hooks, onConnect only: point_select, ${THREADS} thr: qps`,
          unit: 'q/s',
          digits: 0,
        },
      },
      {
        key: 'on-command',
        extra: 'gatehouse-1proc-hooks-command',
        metric: {
          id: metricIds.hooksQpsCommand,
          label: `hooks, pass-through onCommand: point_select, ${THREADS} thr: qps`,
          unit: 'q/s',
          digits: 0,
        },
      },
    ],
  });
}
