// The cost of audit: point_select at 16 threads through the one-process gateway with audit as
// configured by default (spool_sync: none), through one-process gateways with spool_sync batch
// and always, through one whose audit store writes in its own thread (writer_thread on; 'auto'
// chooses by the cores), and through one with query events switched off, in alternating rounds.
import { metricIds, type Results } from '../results.js';
import type { MeasureContext } from './context.js';
import { measureSwitchCost, type SwitchVariant, SWITCH_COST_THREADS as THREADS } from './switch-cost.js';

const qps = (id: string, label: string) => ({
  id,
  label: `${label}: point_select, ${THREADS} thr: qps`,
  unit: 'q/s',
  digits: 0,
});

const VARIANTS: readonly SwitchVariant[] = [
  { key: 'on', metric: qps(metricIds.auditQpsOn, 'audit on (spool_sync none)') },
  {
    key: 'batch',
    extra: 'gatehouse-1proc-sync-batch',
    metric: qps(metricIds.auditQpsSyncBatch, 'audit on, spool_sync batch'),
  },
  {
    key: 'always',
    extra: 'gatehouse-1proc-sync-always',
    metric: qps(metricIds.auditQpsSyncAlways, 'audit on, spool_sync always'),
  },
  {
    key: 'writer thread',
    extra: 'gatehouse-1proc-writer-thread',
    metric: qps(metricIds.auditQpsWriterThread, 'audit on, writer_thread on'),
  },
  { key: 'off', extra: 'gatehouse-1proc-noaudit', metric: qps(metricIds.auditQpsOff, 'query events off') },
];

export function measureAuditCost(ctx: MeasureContext, results: Results): Promise<void> {
  return measureSwitchCost(ctx, results, { what: 'audit', rounds: ctx.profile.auditRounds, variants: VARIANTS });
}
