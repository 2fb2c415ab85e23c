// Reads the figures out of sysbench 1.0's report:
//   queries:                             10     (123.45 per sec.)
//   ignored errors:                      0      (0.00 per sec.)
//   95th percentile:                        0.40
export interface SysbenchFigures {
  readonly qps: number;
  readonly tps: number;
  /** Latency of one event (a query for point_select, a transaction for read_only), in ms. */
  readonly p95Ms: number;
  readonly avgMs: number;
  readonly ignoredErrors: number;
  readonly reconnects: number;
}

export class SysbenchOutputError extends Error {
  override readonly name = 'SysbenchOutputError';
}

function pick(text: string, pattern: RegExp, what: string): number {
  const m = pattern.exec(text);
  const value = m ? Number(m[1]) : Number.NaN;
  if (!Number.isFinite(value)) throw new SysbenchOutputError(`sysbench output has no ${what}`);
  return value;
}

export function parseSysbenchOutput(text: string): SysbenchFigures {
  return {
    qps: pick(text, /^\s*queries:\s+\d+\s+\(([\d.]+) per sec\.\)/m, 'queries per second'),
    tps: pick(text, /^\s*transactions:\s+\d+\s+\(([\d.]+) per sec\.\)/m, 'transactions per second'),
    p95Ms: pick(text, /^\s*95th percentile:\s+([\d.]+)/m, '95th percentile latency'),
    avgMs: pick(text, /^\s*avg:\s+([\d.]+)/m, 'average latency'),
    ignoredErrors: pick(text, /^\s*ignored errors:\s+(\d+)/m, 'ignored errors count'),
    reconnects: pick(text, /^\s*reconnects:\s+(\d+)/m, 'reconnects count'),
  };
}
