// The canonical JSON of an audit event, byte for byte what canonicalJson() writes, without
// sorting keys per object. The keys an event can hold are known from its schema, so each event
// type (and each outcome kind, and the error object) gets its keys sorted once, at load; writing
// an event walks that list. An object holding a key the list does not know (client attributes,
// decoded parameters, anything unvalidated) is written by canonicalJson() instead, so the output
// never depends on which path ran. The hash chain's format is unchanged.
import { type AuditEvent, auditErrorSchema, auditEventSchema, auditOutcomeSchema } from '@gatehouse/common';
import { canonicalJson } from './canonical-json.js';

/** Keys in canonical order, each with its `"key":` prefix written once. */
interface KeyOrder {
  readonly keys: readonly string[];
  readonly prefixes: readonly string[];
}

function keyOrder(keys: readonly string[]): KeyOrder {
  // Array.prototype.sort compares strings by UTF-16 code units, as RFC 8785 orders keys.
  const sorted = [...keys].sort();
  return { keys: sorted, prefixes: sorted.map((k) => `${JSON.stringify(k)}:`) };
}

const EVENT_ORDER = new Map<string, KeyOrder>();
for (const schema of auditEventSchema.options) {
  EVENT_ORDER.set(schema.shape.event.value, keyOrder(Object.keys(schema.shape)));
}
const OUTCOME_ORDER = new Map<string, KeyOrder>();
for (const schema of auditOutcomeSchema.options) {
  OUTCOME_ORDER.set(schema.shape.kind.value, keyOrder(Object.keys(schema.shape)));
}
const ERROR_ORDER = keyOrder(Object.keys(auditErrorSchema.shape));

/** The order for a nested object under `key`, when its keys are known. */
function nestedOrder(key: string, value: Record<string, unknown>): KeyOrder | undefined {
  if (key === 'outcome') {
    const kind = value.kind;
    return typeof kind === 'string' ? OUTCOME_ORDER.get(kind) : undefined;
  }
  return key === 'error' ? ERROR_ORDER : undefined;
}

function writeValue(key: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // canonicalJson throws on non-finite numbers; let it.
      return Number.isFinite(value) ? String(value) : canonicalJson(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null || Array.isArray(value)) return canonicalJson(value);
      const obj = value as Record<string, unknown>;
      const order = nestedOrder(key, obj);
      return (order && writeKnown(obj, order)) ?? canonicalJson(obj);
    }
    default:
      return canonicalJson(value);
  }
}

/** The object in `order`, or undefined when it holds a key `order` does not list. */
function writeKnown(obj: Record<string, unknown>, order: KeyOrder): string | undefined {
  const { keys, prefixes } = order;
  let out = '{';
  let written = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = obj[key];
    if (v === undefined) continue;
    if (written > 0) out += ',';
    out += prefixes[i]! + writeValue(key, v);
    written++;
  }
  // Every own key was written exactly when none is unlisted (an undefined value also lands
  // here: canonicalJson skips it the same way, so falling back is only slower, never different).
  if (written !== Object.keys(obj).length) return undefined;
  return `${out}}`;
}

/** canonicalJson(event), faster for events whose keys their schema lists. */
export function canonicalEventJson(event: AuditEvent): string {
  const type = (event as { event?: unknown }).event;
  const order = typeof type === 'string' ? EVENT_ORDER.get(type) : undefined;
  return (order && writeKnown(event as Record<string, unknown>, order)) ?? canonicalJson(event);
}
