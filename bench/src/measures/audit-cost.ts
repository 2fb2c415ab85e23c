// The cost of audit: point_select at 16 threads through the one-process gateway with audit as
// configured by default, and through a second one-process gateway with query events switched off.
import { join } from 'node:path';
import { metricIds, recordFailure, recordValue, type Results } from '../results.js';
import { TargetUnavailableError } from '../targets/target.js';
import { errorText, type LiveTarget, type MeasureContext } from './context.js';
import { createSysbenchTlsDir, runSysbench } from './sysbench.js';

const THREADS = 16;

export async function measureAuditCost(ctx: MeasureContext, results: Results): Promise<void> {
  const on = { id: metricIds.auditQpsOn, label: `audit on: point_select, ${THREADS} thr: qps`, unit: 'q/s', digits: 0 };
  const off = { id: metricIds.auditQpsOff, label: `query events off: point_select, ${THREADS} thr: qps`, unit: 'q/s', digits: 0 };
  const withAudit = ctx.live.find((l) => l.target.name === 'gatehouse-1proc');
  if (!withAudit) {
    results.notes.push('the cost of audit needs the gatehouse-1proc target; it was not run');
    return;
  }
  let withoutAudit: LiveTarget;
  try {
    withoutAudit = await ctx.startExtra('gatehouse-1proc-noaudit');
  } catch (err) {
    // A missing config switch is a gap to report, not a failed measurement.
    if (err instanceof TargetUnavailableError) results.notes.push(`the cost of audit was not measured: ${errorText(err).split('\n')[0]}`);
    else recordFailure(results, off, 'gatehouse-1proc', errorText(err));
    ctx.log(`audit cost: ${errorText(err)}`);
    return;
  }
  try {
    const rounds = ctx.profile.auditRounds;
    const sums = { on: 0, off: 0 };
    for (let i = 0; i < rounds; i++) {
      for (const [key, live] of [['on', withAudit], ['off', withoutAudit]] as const) {
        const dir = createSysbenchTlsDir(live.endpoint, join(ctx.workDir, 'sysbench-tls', live.target.name));
        const f = await runSysbench('oltp_point_select', THREADS, live.endpoint, dir, ctx);
        sums[key] += f.qps;
        ctx.log(`audit ${key}: ${f.qps.toFixed(0)} qps`);
      }
    }
    recordValue(results, on, 'gatehouse-1proc', sums.on / rounds);
    recordValue(results, off, 'gatehouse-1proc', sums.off / rounds);
  } catch (err) {
    recordFailure(results, on, 'gatehouse-1proc', errorText(err));
  } finally {
    await withoutAudit.target.stop();
  }
}
