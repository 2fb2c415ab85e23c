// Shared by every gatectl command: where the data dir is, how to read list and duration
// options, and how to print (aligned tables for people, JSON for scripts).
import { resolve } from 'node:path';
import { isGatehouseError, parseDuration } from '@gatehouse/common';
import { type CommandContext, UsageError } from './command.js';

export const DEFAULT_DATA_DIR = './gatehouse-data';

/** --data-dir, else GATEHOUSE_DATA_DIR, else ./gatehouse-data; made absolute. */
export function resolveDataDir(ctx: Pick<CommandContext, 'values' | 'env'>): string {
  const flag = ctx.values['data-dir'];
  const dir = typeof flag === 'string' && flag.length > 0 ? flag : ctx.env.GATEHOUSE_DATA_DIR || DEFAULT_DATA_DIR;
  return resolve(dir);
}

export type OutputFormat = 'table' | 'json';

/** The global --format for listings: table (default) or json. */
export function resolveFormat(ctx: Pick<CommandContext, 'values'>): OutputFormat {
  const format = ctx.values.format ?? 'table';
  if (format === 'table' || format === 'json') return format;
  throw new UsageError(`--format must be table or json, not '${String(format)}'`);
}

/** A string option's value, or undefined when absent. */
export function optionalString(ctx: Pick<CommandContext, 'values'>, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requireString(ctx: Pick<CommandContext, 'values'>, name: string): string {
  const value = optionalString(ctx, name);
  if (value === undefined || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

/** "a, b,,c" → ["a", "b", "c"]; an empty string is an empty list. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses a duration option (e.g. --ttl 1h); a bad value is a usage error. */
export function parseDurationOption(text: string, name: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new UsageError(`--${name} must be positive`);
    return ms;
  } catch (err) {
    if (isGatehouseError(err, 'GH_ERR_CONFIG')) throw new UsageError(`--${name}: ${err.message}`);
    throw err;
  }
}

/** A time option: a duration such as 1h means that long before `now`; otherwise an ISO 8601 time. */
export function parseTimeOption(text: string, name: string, now: number): Date {
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

/** A count option such as --limit: digits only. */
export function parseWholeNumberOption(text: string, name: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, not '${text}'`);
  return Number(text);
}

export function writeJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns separated by two spaces; prints the header even when there are no rows. */
export function writeTable(
  out: NodeJS.WritableStream,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  out.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

/** Prints the outcome of one action: `json` for --format json, else `text` (whole lines) for people. */
export function writeResult(ctx: Pick<CommandContext, 'values' | 'stdout'>, json: unknown, text: string): void {
  if (resolveFormat(ctx) === 'json') writeJson(ctx.stdout, json);
  else ctx.stdout.write(text);
}

/** Prints a listing in the format the user asked for. */
export function writeListing<T>(
  ctx: Pick<CommandContext, 'values' | 'stdout'>,
  items: readonly T[],
  headers: readonly string[],
  toRow: (item: T) => readonly string[],
  toJson: (item: T) => unknown = (item) => item,
): void {
  if (resolveFormat(ctx) === 'json') writeJson(ctx.stdout, items.map(toJson));
  else writeTable(ctx.stdout, headers, items.map(toRow));
}
