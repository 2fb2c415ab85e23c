// The results as Markdown tables: absolute figures, ratios to direct, and the DESIGN targets.
// The same text is printed at the end of a run and written to bench/results.md.
import { type Cell, metricIds, type Results, readValue } from './results.js';

export interface RunInfo {
  readonly date: string;
  readonly commit: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadAverage: string;
  readonly node: string;
  readonly mariadb: string;
  readonly sysbench: string;
  readonly command: string;
  readonly mode: string;
}

const BASELINE = 'direct';

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatCell(cell: Cell | undefined, digits: number): string {
  if (!cell) return '—';
  if (cell.kind === 'failed') return 'failed';
  return formatNumber(cell.value, digits);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function renderAbsolute(results: Results, targets: readonly string[]): string {
  const rows = results.metrics.map((m) => [
    `${m.label} (${m.unit})`,
    ...targets.map((t) => formatCell(results.cells.get(m.id)?.get(t), m.digits)),
  ]);
  return table(['measurement', ...targets], rows);
}

/** value / direct for every metric that has a direct figure; "p95 added" as a difference in ms. */
export function renderRatios(results: Results, targets: readonly string[]): string {
  const others = targets.filter((t) => t !== BASELINE);
  const rows: string[][] = [];
  for (const m of results.metrics) {
    const base = readValue(results, m.id, BASELINE);
    if (base === undefined || base === 0 || m.noRatio) continue;
    rows.push([
      `${m.label}`,
      ...others.map((t) => {
        const v = readValue(results, m.id, t);
        return v === undefined ? '—' : `${formatNumber(v / base, 2)}×`;
      }),
    ]);
    if (m.id.endsWith('.p95')) {
      rows.push([
        `${m.label}: added (ms)`,
        ...others.map((t) => {
          const v = readValue(results, m.id, t);
          return v === undefined ? '—' : formatNumber(v - base, 3);
        }),
      ]);
    }
  }
  return table(['measurement', ...others.map((t) => `${t} / direct`)], rows);
}

interface Check {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

function ratioCheck(
  results: Results,
  metric: string,
  target: string,
  goal: string,
  pass: (r: number) => boolean,
): Check {
  const v = readValue(results, metric, target);
  const base = readValue(results, metric, BASELINE);
  if (v === undefined || base === undefined || base === 0) return { goal, measured: 'not measured', met: undefined };
  const r = v / base;
  return { goal, measured: `${formatNumber(r, 2)}×`, met: pass(r) };
}

/** CPU per query of `t` against `relay`'s, point_select at 16 threads; met only with a `limit`. */
function cpuRatioCheck(results: Results, t: string, relay: string, goal: string, limit?: number): Check {
  const id = metricIds.sysbenchCpu('oltp_point_select', 16);
  const v = readValue(results, id, t);
  const base = readValue(results, id, relay);
  if (v === undefined || base === undefined || base === 0) return { goal, measured: 'not measured', met: undefined };
  return {
    goal,
    measured: `${formatNumber(v / base, 2)}× (${formatNumber(v, 1)} / ${formatNumber(base, 1)} µs)`,
    met: limit === undefined ? undefined : v / base <= limit,
  };
}

/** The targets in shared/DESIGN.md, "Performance targets", checked against this run. */
export function designChecks(results: Results): Check[] {
  const checks: Check[] = [
    ratioCheck(
      results,
      metricIds.sysbenchQps('oltp_point_select', 16),
      'gatehouse-1proc',
      'one process: point_select qps at 16 threads ≥ 0.50× direct',
      (r) => r >= 0.5,
    ),
    ratioCheck(
      results,
      metricIds.sysbenchQps('oltp_point_select', 16),
      'gatehouse-2proc',
      'two processes: point_select qps at 16 threads ≥ 0.35× direct',
      (r) => r >= 0.35,
    ),
  ];
  // DESIGN: throughput grows with workers up to the cores available (here 2 session workers vs none).
  for (const [twoTarget, oneTarget, what] of [
    ['gatehouse-1proc-2w', 'gatehouse-1proc', 'proxy.workers 2 vs 1'],
    ['gatehouse-2proc-2w', 'gatehouse-2proc', 'split, proxy.workers and engine.workers 2 vs 1'],
  ] as const) {
    const qps = metricIds.sysbenchQps('oltp_point_select', 16);
    const two = readValue(results, qps, twoTarget);
    const one = readValue(results, qps, oneTarget);
    const goal = `${what}: point_select qps at 16 threads grows (≥ 1.0×)`;
    checks.push(
      two === undefined || one === undefined || one === 0
        ? { goal, measured: 'not measured', met: undefined }
        : { goal, measured: `${formatNumber(two / one, 2)}×`, met: two / one >= 1 },
    );
  }
  // Issue 13: CPU per query against the tcp-relay's in the same run (it passes ciphertext).
  for (const [t, limit] of [
    ['gatehouse-1proc', 1.5],
    ['gatehouse-2proc', 2.5],
  ] as const) {
    const goal = `${t}: CPU per query ≤ ${limit}× the tcp-relay's (point_select, 16 thr)`;
    checks.push(cpuRatioCheck(results, t, 'tcp-relay', goal, limit));
  }
  // The floor of a process that terminates TLS on both legs (docs/performance.md, "The floor"):
  // what the runtime costs against the ciphertext relay, and what Gatehouse adds to it.
  checks.push(
    cpuRatioCheck(
      results,
      'tls-relay',
      'tcp-relay',
      "tls-relay: CPU per query / the tcp-relay's (the floor; no target)",
    ),
    cpuRatioCheck(
      results,
      'gatehouse-1proc',
      'tls-relay',
      "gatehouse-1proc: CPU per query / the tls-relay's (no target)",
    ),
  );
  // DESIGN.md: one process ≤ 0.1 ms, two ≤ 0.25 ms.
  for (const [t, limitMs] of [
    ['gatehouse-1proc', 0.1],
    ['gatehouse-2proc', 0.25],
  ] as const) {
    const goal = `${t}: p95 added at 1 thread ≤ ${limitMs} ms (point_select)`;
    const v = readValue(results, metricIds.sysbenchP95('oltp_point_select', 1), t);
    const base = readValue(results, metricIds.sysbenchP95('oltp_point_select', 1), BASELINE);
    checks.push(
      v === undefined || base === undefined
        ? { goal, measured: 'not measured', met: undefined }
        : { goal, measured: `${formatNumber(v - base, 3)} ms`, met: v - base <= limitMs },
    );
  }
  // DESIGN.md: one process ≤ 1.15×, two ≤ 1.30× (Teleport's figure).
  for (const [t, limit] of [
    ['gatehouse-1proc', 1.15],
    ['gatehouse-2proc', 1.3],
  ] as const) {
    checks.push(
      ratioCheck(results, metricIds.bulkRead, t, `${t}: 256 MiB bulk read ≤ ${limit}× direct time`, (r) => r <= limit),
    );
  }
  for (const t of ['gatehouse-1proc', 'gatehouse-2proc']) {
    const goal = `${t}: ≤ 64 KiB per idle session (all its processes)`;
    const v = readValue(results, metricIds.idleKiB, t);
    checks.push(
      v === undefined
        ? { goal, measured: 'not measured', met: undefined }
        : { goal, measured: `${formatNumber(v, 1)} KiB`, met: v <= 64 },
    );
  }
  const on = readValue(results, metricIds.auditQpsOn, 'gatehouse-1proc');
  const off = readValue(results, metricIds.auditQpsOff, 'gatehouse-1proc');
  const goal = 'audit costs ≤ 5% of point_select qps (one process, 16 threads)';
  checks.push(
    on === undefined || off === undefined || off === 0
      ? { goal, measured: 'not measured', met: undefined }
      : { goal, measured: `${formatNumber((1 - on / off) * 100, 1)}%`, met: 1 - on / off <= 0.05 },
  );
  const mOn = readValue(results, metricIds.metricsQpsOn, 'gatehouse-1proc');
  const mOff = readValue(results, metricIds.metricsQpsOff, 'gatehouse-1proc');
  const mGoal = 'command latency metrics do not show in point_select qps (≤ 2%, one process, 16 threads)';
  checks.push(
    mOn === undefined || mOff === undefined || mOff === 0
      ? { goal: mGoal, measured: 'not measured', met: undefined }
      : { goal: mGoal, measured: `${formatNumber((1 - mOn / mOff) * 100, 1)}%`, met: 1 - mOn / mOff <= 0.02 },
  );
  // No target for the synced modes: their cost is reported so operators can choose.
  for (const [mode, id] of [
    ['spool_sync batch', metricIds.auditQpsSyncBatch],
    ['spool_sync always', metricIds.auditQpsSyncAlways],
    ['writer_thread on', metricIds.auditQpsWriterThread],
  ] as const) {
    const qps = readValue(results, id, 'gatehouse-1proc');
    if (qps === undefined || off === undefined || off === 0) continue;
    checks.push({
      goal: `audit cost with ${mode} (no target)`,
      measured: `${formatNumber((1 - qps / off) * 100, 1)}%`,
      met: undefined,
    });
  }
  return checks;
}

export function renderChecks(results: Results): string {
  const rows = designChecks(results).map((c) => [c.goal, c.measured, c.met === undefined ? '—' : c.met ? 'yes' : 'no']);
  return table(['DESIGN target', 'measured', 'met'], rows);
}

function failures(results: Results): string[] {
  const out: string[] = [];
  for (const m of results.metrics) {
    for (const [target, cell] of results.cells.get(m.id) ?? []) {
      if (cell.kind === 'failed') out.push(`- ${m.label}, ${target}: ${cell.reason.split('\n')[0]}`);
    }
  }
  return out;
}

export function renderReport(results: Results, targets: readonly string[], info: RunInfo): string {
  const failed = failures(results);
  return [
    '# Gatehouse bench results',
    '',
    `- date: ${info.date}`,
    `- commit: ${info.commit}`,
    `- machine: ${info.cpu}, ${info.cores} cores, ${formatNumber(info.memoryGiB, 1)} GiB; load average at start ${info.loadAverage}`,
    `- node ${info.node}, MariaDB ${info.mariadb}, ${info.sysbench}`,
    `- command: \`${info.command}\` (${info.mode})`,
    '',
    '## Absolute figures',
    '',
    renderAbsolute(results, targets),
    '',
    '## Ratios to direct (same run)',
    '',
    renderRatios(results, targets),
    '',
    '## DESIGN targets',
    '',
    renderChecks(results),
    ...(failed.length > 0 ? ['', '## Not measured', '', ...failed] : []),
    ...(results.notes.length > 0 ? ['', '## Notes', '', ...results.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}
