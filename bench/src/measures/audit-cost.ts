// The cost of audit: point_select at 16 threads through the one-process gateway with audit as
// configured by default, and through a second one-process gateway with query events switched off.
import { metricIds, type Results } from '../results.js';
import type { MeasureContext } from './context.js';
import { measureSwitchCost, SWITCH_COST_THREADS as THREADS } from './switch-cost.js';

export function measureAuditCost(ctx: MeasureContext, results: Results): Promise<void> {
  return measureSwitchCost(ctx, results, {
    what: 'audit',
    extra: 'gatehouse-1proc-noaudit',
    rounds: ctx.profile.auditRounds,
    on: { id: metricIds.auditQpsOn, label: `audit on: point_select, ${THREADS} thr: qps`, unit: 'q/s', digits: 0 },
    off: { id: metricIds.auditQpsOff, label: `query events off: point_select, ${THREADS} thr: qps`, unit: 'q/s', digits: 0 },
  });
}
