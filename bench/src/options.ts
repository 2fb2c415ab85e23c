// Command-line options of `npm run bench`. Pure parsing, so it is unit-tested without running
// anything.
import { parseArgs } from 'node:util';

/**
 * `tcp-relay` passes the client's TLS through as ciphertext; `tls-relay` terminates TLS on both
 * legs and pipes plaintext, the least a TLS-terminating MySQL gateway does.
 * `gatehouse-1proc-2w`: the one-process shape with proxy.workers: 2 (session worker processes);
 * `gatehouse-2proc-2w`: the split shape with proxy.workers: 2 and engine.workers: 2.
 */
export const TARGET_NAMES = [
  'direct',
  'tcp-relay',
  'tls-relay',
  'gatehouse-1proc',
  'gatehouse-2proc',
  'gatehouse-1proc-2w',
  'gatehouse-2proc-2w',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
/**
 * What runs without --targets: all but the split shape with workers, which is two processes
 * of three each; name it to measure it (docs/performance.md, "Every core in use").
 */
export const DEFAULT_TARGETS: readonly TargetName[] = TARGET_NAMES.filter((t) => t !== 'gatehouse-2proc-2w');

/**
 * In the order they run, whatever order --only lists them in: idle memory first, while the
 * gateways' heaps hold nothing from earlier traffic.
 */
export const MEASURE_NAMES = [
  'idle-memory',
  'sysbench',
  'bulk-read',
  'bulk-write',
  'connect-rate',
  'audit',
  'metrics',
  'hooks',
] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

export const PS_MODES = ['disable', 'auto'] as const;
export type PsMode = (typeof PS_MODES)[number];

export interface BenchOptions {
  readonly targets: readonly TargetName[];
  readonly only: readonly MeasureName[];
  readonly short: boolean;
  /** sysbench thread counts; the DESIGN targets are stated at 1 and 16. */
  readonly threads: readonly number[];
  readonly psMode: PsMode;
  /** Where results.md goes; undefined = do not write it. */
  readonly resultsFile: string | undefined;
  /** Keep the work directory (certs, configs, gateway logs) for inspection. */
  readonly keep: boolean;
  readonly help: boolean;
}

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export const USAGE = `usage: npm run bench -- [options]
  --targets a,b      ${TARGET_NAMES.join(', ')} (default: all but gatehouse-2proc-2w)
  --only a,b         ${MEASURE_NAMES.join(', ')} (default: all)
  --short            about a minute: short sysbench runs, small bulk sizes, 200 idle sessions
  --threads 1,16     sysbench thread counts (default 1,16)
  --ps-mode M        sysbench --db-ps-mode: disable (text protocol, default) or auto (prepared)
  --results FILE     where to write the results table (default bench/results.md; 'none' to skip)
  --keep             keep the work directory (certificates, configs, gateway logs)`;

function pickList<T extends string>(text: string | undefined, allowed: readonly T[], what: string): T[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new BenchUsageError(`--${what} needs at least one of: ${allowed.join(', ')}`);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new BenchUsageError(`--${what}: unknown '${item}'; choose from ${allowed.join(', ')}`);
    }
  }
  return [...new Set(items)] as T[];
}

function parseThreads(text: string | undefined): number[] {
  if (text === undefined) return [1, 16];
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 1024)) {
    throw new BenchUsageError(`--threads takes whole numbers from 1 to 1024, e.g. 1,16; not '${text}'`);
  }
  return [...new Set(list)];
}

const OPTION_SPEC = {
  targets: { type: 'string' },
  only: { type: 'string' },
  short: { type: 'boolean' },
  threads: { type: 'string' },
  'ps-mode': { type: 'string' },
  results: { type: 'string' },
  keep: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseBenchOptions(argv: readonly string[], defaultResults: string): BenchOptions {
  const v = (() => {
    try {
      return parseArgs({ args: [...argv], options: OPTION_SPEC, allowPositionals: false, strict: true }).values;
    } catch (err) {
      throw new BenchUsageError((err as Error).message);
    }
  })();
  const psMode = v['ps-mode'] ?? 'disable';
  if (!(PS_MODES as readonly string[]).includes(psMode)) {
    throw new BenchUsageError(`--ps-mode must be ${PS_MODES.join(' or ')}, not '${psMode}'`);
  }
  const results = v.results ?? defaultResults;
  return {
    targets: pickList(v.targets, TARGET_NAMES, 'targets') ?? [...DEFAULT_TARGETS],
    only: MEASURE_NAMES.filter((m) => (pickList(v.only, MEASURE_NAMES, 'only') ?? MEASURE_NAMES).includes(m)),
    short: v.short ?? false,
    threads: parseThreads(v.threads),
    psMode: psMode as PsMode,
    resultsFile: results === 'none' ? undefined : results,
    keep: v.keep ?? false,
    help: v.help ?? false,
  };
}
