// Query text in the audit log is bounded in bytes, cut on a UTF-8 character boundary, and
// the full length is recorded beside it.
import { redactQuery } from './redact-query.js';

/** Default bound on query text in an event: 64 KiB. */
export const DEFAULT_QUERY_LIMIT = 64 * 1024;

export interface BoundedText {
  readonly text: string;
  /** Length in bytes of the whole input (UTF-8). */
  readonly length: number;
  readonly truncated: boolean;
}

const decoder = new TextDecoder();

/** The largest cut ≤ `limit` that does not split a UTF-8 sequence of `bytes`. */
function utf8Cut(bytes: Uint8Array, limit: number): number {
  let cut = Math.min(limit, bytes.length);
  while (cut > 0 && cut < bytes.length && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

function boundString(text: string, limit: number): { text: string; truncated: boolean } {
  // A UTF-16 unit encodes to at most 3 bytes, so short strings need no measuring.
  if (text.length * 3 <= limit || Buffer.byteLength(text) <= limit) return { text, truncated: false };
  const bytes = Buffer.from(text);
  return { text: decoder.decode(bytes.subarray(0, utf8Cut(bytes, limit))), truncated: true };
}

/** Bounds `input` (a string, or the raw bytes a client sent) to `limit` bytes of UTF-8. */
export function boundUtf8(input: string | Uint8Array, limit: number = DEFAULT_QUERY_LIMIT): BoundedText {
  if (typeof input === 'string') {
    const length = Buffer.byteLength(input);
    return { ...boundString(input, limit), length };
  }
  const length = input.length;
  // Invalid bytes decode to U+FFFD (3 bytes), so the decoded text is bounded again.
  const decoded = decoder.decode(input.length <= limit ? input : input.subarray(0, utf8Cut(input, limit)));
  const bounded = boundString(decoded, limit);
  return { text: bounded.text, length, truncated: bounded.truncated || input.length > limit };
}

export interface AuditQueryText {
  readonly query: string;
  readonly query_length: number;
  readonly query_truncated: boolean;
  /** Ordinals of `?` placeholders that stand in for secrets (see redactQuery). */
  readonly secretPlaceholders: readonly number[];
}

/**
 * Redacts then bounds query text for an event. Redaction runs on the whole text, so a cut
 * can never separate a secret from the keyword that marks it.
 */
export function prepareAuditQuery(input: string | Uint8Array, limit: number = DEFAULT_QUERY_LIMIT): AuditQueryText {
  const length = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  const text = typeof input === 'string' ? input : decoder.decode(input);
  const redacted = redactQuery(text);
  const bounded = boundString(redacted.text, limit);
  return {
    query: bounded.text,
    query_length: length,
    query_truncated: bounded.truncated,
    secretPlaceholders: redacted.secretPlaceholders,
  };
}
