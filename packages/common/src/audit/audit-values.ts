import { boundUtf8 } from './bound-text.js';

/** A decoded parameter value as the audit log records it (JSON). */
export type AuditValue = string | number | boolean | null | AuditValue[] | { [key: string]: AuditValue };

/** Default bound on one string parameter: 4 KiB. */
export const DEFAULT_PARAMETER_LIMIT = 4 * 1024;
export const REDACTED_VALUE = '***';

/** Bounds every string inside `value` to `limit` bytes; numbers that JSON cannot hold become strings. */
export function boundAuditValue(value: AuditValue, limit: number): AuditValue {
  if (typeof value === 'string') return value.length * 3 <= limit ? value : boundUtf8(value, limit).text;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => boundAuditValue(v, limit));
  const out: { [key: string]: AuditValue } = {};
  for (const [k, v] of Object.entries(value)) out[k] = boundAuditValue(v, limit);
  return out;
}

/** Bounds a row of parameters and replaces those at secret ordinals. */
export function prepareAuditParameters(
  values: readonly AuditValue[],
  secretPlaceholders: readonly number[],
  limit: number,
): AuditValue[] {
  const out = values.map((v) => boundAuditValue(v, limit));
  for (const i of secretPlaceholders) if (i < out.length) out[i] = REDACTED_VALUE;
  return out;
}
