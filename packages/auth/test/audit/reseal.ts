// What an attacker who knows the format would do: rewrite a line with a fresh, valid hash.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../src/index.js';

export function serializeRecordForTest(seq: number, prev: string, event: unknown): string {
  const hash = createHash('sha256').update(canonicalJson({ event, prev, seq })).digest('hex');
  return JSON.stringify({ seq, prev, hash, event });
}
