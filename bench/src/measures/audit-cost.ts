// The cost of audit: point_select at 16 threads through the one-process gateway with audit as
// configured by default (spool_sync: none), through one-process gateways with spool_sync batch
// and always, and through one with query events switched off, in alternating rounds.
import { join } from 'node:path';
import { readTotalCpuMicros } from '../proc-stats.js';
import { metricIds, recordFailure, recordValue, type Results } from '../results.js';
import type { AuditVariant } from '../targets/gatehouse.js';
import { TargetUnavailableError } from '../targets/target.js';
import { errorText, type LiveTarget, type MeasureContext } from './context.js';
import { createSysbenchTlsDir, runSysbench } from './sysbench.js';

const THREADS = 16;

interface Variant {
  readonly key: string;
  readonly metric: { id: string; label: string; unit: string; digits: number };
  readonly extra?: AuditVariant;
}

const VARIANTS: readonly Variant[] = [
  {
    key: 'on',
    metric: {
      id: metricIds.auditQpsOn,
      label: `audit on (spool_sync none): point_select, ${THREADS} thr: qps`,
      unit: 'q/s',
      digits: 0,
    },
  },
  {
    key: 'batch',
    extra: 'gatehouse-1proc-sync-batch',
    metric: {
      id: metricIds.auditQpsSyncBatch,
      label: `audit on, spool_sync batch: point_select, ${THREADS} thr: qps`,
      unit: 'q/s',
      digits: 0,
    },
  },
  {
    key: 'always',
    extra: 'gatehouse-1proc-sync-always',
    metric: {
      id: metricIds.auditQpsSyncAlways,
      label: `audit on, spool_sync always: point_select, ${THREADS} thr: qps`,
      unit: 'q/s',
      digits: 0,
    },
  },
  {
    key: 'off',
    extra: 'gatehouse-1proc-noaudit',
    metric: {
      id: metricIds.auditQpsOff,
      label: `query events off: point_select, ${THREADS} thr: qps`,
      unit: 'q/s',
      digits: 0,
    },
  },
];

export async function measureAuditCost(ctx: MeasureContext, results: Results): Promise<void> {
  const withAudit = ctx.live.find((l) => l.target.name === 'gatehouse-1proc');
  if (!withAudit) {
    results.notes.push('the cost of audit needs the gatehouse-1proc target; it was not run');
    return;
  }
  const running: Array<{ variant: Variant; live: LiveTarget }> = [];
  try {
    for (const variant of VARIANTS) {
      if (variant.extra === undefined) {
        running.push({ variant, live: withAudit });
        continue;
      }
      try {
        running.push({ variant, live: await ctx.startExtra(variant.extra) });
      } catch (err) {
        // A missing config switch is a gap to report, not a failed measurement.
        if (err instanceof TargetUnavailableError)
          results.notes.push(`audit ${variant.key} was not measured: ${errorText(err).split('\n')[0]}`);
        else recordFailure(results, variant.metric, 'gatehouse-1proc', errorText(err));
        ctx.log(`audit cost (${variant.key}): ${errorText(err)}`);
      }
    }
    const rounds = ctx.profile.auditRounds;
    const sums = new Map<string, number>();
    const cpu = new Map<string, { micros: number; queries: number }>();
    for (let i = 0; i < rounds; i++) {
      for (const { variant, live } of running) {
        const dir = createSysbenchTlsDir(live.endpoint, join(ctx.workDir, 'sysbench-tls', live.target.name));
        const pids = live.target.pids();
        const before = readTotalCpuMicros(pids);
        const f = await runSysbench('oltp_point_select', THREADS, live.endpoint, dir, ctx);
        // The gateway's CPU over the sysbench run (its connects included) per query served.
        const used = readTotalCpuMicros(pids) - before;
        const queries = f.qps * ctx.profile.sysbenchSeconds;
        const c = cpu.get(variant.key) ?? { micros: 0, queries: 0 };
        cpu.set(variant.key, { micros: c.micros + used, queries: c.queries + queries });
        sums.set(variant.key, (sums.get(variant.key) ?? 0) + f.qps);
        ctx.log(`audit ${variant.key}: ${f.qps.toFixed(0)} qps, ${(used / queries).toFixed(1)} µs gateway CPU per query`);
      }
    }
    for (const { variant } of running) {
      recordValue(results, variant.metric, 'gatehouse-1proc', (sums.get(variant.key) ?? 0) / rounds);
      const c = cpu.get(variant.key);
      if (c === undefined || c.queries === 0) continue;
      const label = `${variant.metric.label.replace(/: qps$/, '')}: gateway CPU per query`;
      recordValue(results, { id: `${variant.metric.id}.cpu`, label, unit: 'µs', digits: 1 }, 'gatehouse-1proc', c.micros / c.queries);
    }
  } catch (err) {
    recordFailure(results, VARIANTS[0]!.metric, 'gatehouse-1proc', errorText(err));
  } finally {
    for (const { variant, live } of running) if (variant.extra !== undefined) await live.target.stop();
  }
}
