// One line of the audit log: an event with its place in the hash chain.
//   {"seq":N,"prev":"<hex>","hash":"<hex>","event":{…}}
// hash = SHA-256 over canonicalJson({event, prev, seq}), hex. `prev` is the hash of the line
// before (across files), and the first line's prev is 64 zeros. `seq` counts from 1 with no gaps,
// so a deleted, inserted or reordered line breaks either the sequence or the links.
import { hash } from 'node:crypto';
import type { AuditEvent } from '@gatehouse/common';
import { canonicalEventJson } from './canonical-event.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainRecord {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly event: AuditEvent;
}

/** The hash of a record, from the canonical text of its event. */
export function hashRecord(seq: number, prev: string, canonicalEvent: string): string {
  // canonicalJson({event, prev, seq}) spelled out: keys are already in sorted order. One-shot
  // hash(): no Hash object per record.
  return hash('sha256', `{"event":${canonicalEvent},"prev":"${prev}","seq":${seq}}`, 'hex');
}

/** Builds the line (with its newline) for the event whose canonical JSON is `canonical`; returns its hash too. */
export function serializeRecord(seq: number, prev: string, canonical: string): { line: string; hash: string } {
  const digest = hashRecord(seq, prev, canonical);
  return { line: `{"seq":${seq},"prev":"${prev}","hash":"${digest}","event":${canonical}}\n`, hash: digest };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Reads a line back; undefined when it is not JSON or not shaped like a record. */
export function parseRecordLine(text: string): ChainRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  if (Object.keys(r).length !== 4) return undefined;
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) return undefined;
  if (typeof r.prev !== 'string' || !HEX64.test(r.prev) || typeof r.hash !== 'string' || !HEX64.test(r.hash))
    return undefined;
  if (r.event === null || typeof r.event !== 'object' || Array.isArray(r.event)) return undefined;
  return value as ChainRecord;
}

/** True when the record's hash matches its content. */
export function checkRecordHash(record: ChainRecord): boolean {
  return hashRecord(record.seq, record.prev, canonicalEventJson(record.event)) === record.hash;
}
