// Exports of a search or a session: JSONL (one event per line, as stored) and CSV (the fields a
// spreadsheet reader wants, the rest as JSON in the last column).
import type { AuditEvent } from '@gatehouse/common';

const CSV_COLUMNS = [
  'time',
  'event',
  'code',
  'sid',
  'user',
  'db_service',
  'db_user',
  'db_name',
  'client_addr',
  'engine_id',
  'query',
  'outcome',
  'duration_ms',
] as const;

export function toJsonl(events: readonly AuditEvent[]): string {
  let out = '';
  for (const e of events) out += `${JSON.stringify(e)}\n`;
  return out;
}

/**
 * One CSV field (RFC 4180 quoting). A value that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR first) gets a leading apostrophe: query text is whatever people typed.
 */
export function csvField(value: unknown): string {
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${[...CSV_COLUMNS, 'details'].join(',')}\r\n`;
}

export function toCsvRows(events: readonly AuditEvent[]): string {
  let out = '';
  for (const e of events) {
    const record = e as unknown as Record<string, unknown>;
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record))
      if (!(CSV_COLUMNS as readonly string[]).includes(k) && k !== 'uid' && k !== 'roles' && k !== 'proxy_id')
        rest[k] = v;
    const cells = CSV_COLUMNS.map((c) => csvField(record[c]));
    cells.push(csvField(Object.keys(rest).length > 0 ? rest : ''));
    out += `${cells.join(',')}\r\n`;
  }
  return out;
}

export function toCsv(events: readonly AuditEvent[]): string {
  return csvHeader() + toCsvRows(events);
}
