// Minimal local helpers for the audit commands: data-dir resolution, --format, time arguments
// and a plain table. Another branch adds shared versions of these to the CLI; fold these into
// those when merging.
import { resolve } from 'node:path';
import { parseDuration } from '@gatehouse/common';
import { type OptionValues, UsageError } from '../command.js';

export const DEFAULT_DATA_DIR = './gatehouse-data';

/** --data-dir, then GATEHOUSE_DATA_DIR, then ./gatehouse-data; absolute. */
export function resolveDataDir(values: OptionValues, env: NodeJS.ProcessEnv): string {
  const flag = values['data-dir'];
  const dir = typeof flag === 'string' && flag.length > 0 ? flag : env.GATEHOUSE_DATA_DIR || DEFAULT_DATA_DIR;
  return resolve(dir);
}

export type OutputFormat = 'table' | 'json';

export function outputFormat(values: OptionValues): OutputFormat {
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json')
    throw new UsageError(`--format must be table or json, not '${String(format)}'`);
  return format;
}

/** "1h" means that long ago; otherwise an ISO 8601 time such as 2026-01-10T12:00:00Z. */
export function parseTimeArg(name: string, text: string, now: number): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new UsageError(`--${name}: '${text}' is not a valid time`);
    return new Date(ms);
  }
  try {
    return new Date(now - parseDuration(text));
  } catch {
    throw new UsageError(`--${name}: use a duration such as 1h or 30m, or an ISO time such as 2026-01-10T12:00:00Z`);
  }
}

export function parsePositiveInt(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, not '${text}'`);
  return Number(text);
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}
