// A minimal DER reader and writer for the identity extension: definite lengths only, no
// indefinite forms, nothing the extension does not use. Every malformed input raises
// IdentityError GH_ERR_CERT_BAD_EXTENSION, never another exception.
// Encoding rules: ITU-T X.690 §8 (BER) and §10 (DER restrictions).
import { IdentityError } from './identity-error.js';

export const DerTag = {
  Boolean: 0x01, // BOOLEAN
  Integer: 0x02, // INTEGER
  OctetString: 0x04, // OCTET STRING
  ObjectIdentifier: 0x06, // OBJECT IDENTIFIER
  Utf8String: 0x0c, // UTF8String
  Sequence: 0x30, // SEQUENCE / SEQUENCE OF (constructed)
  Context0: 0x80, // [0] IMPLICIT, primitive
  Context1: 0x81, // [1] IMPLICIT, primitive
  Context2: 0x82, // [2] IMPLICIT, primitive
  Context0Constructed: 0xa0, // [0] EXPLICIT (TBSCertificate version)
  Context3Constructed: 0xa3, // [3] EXPLICIT (TBSCertificate extensions)
} as const;

export interface DerElement {
  readonly tag: number;
  /** A view of the element's contents inside the input. */
  readonly value: Uint8Array;
  /** Offset just past the element. */
  readonly end: number;
}

function fail(reason: string): never {
  throw new IdentityError(
    'GH_ERR_CERT_BAD_EXTENSION',
    `the certificate's Gatehouse identity extension is malformed: ${reason}`,
  );
}

/** Reads one TLV at `offset`; the element must end at or before `limit`. */
export function readDerElement(input: Uint8Array, offset: number, limit = input.length): DerElement {
  if (offset + 2 > limit) fail('truncated element header');
  const tag = input[offset]!;
  if ((tag & 0x1f) === 0x1f) fail('multi-byte tags are not used');
  let length = input[offset + 1]!;
  let pos = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // DER forbids the indefinite form (0x80) and we never need more than 4 length bytes.
    if (count === 0 || count > 4) fail('unsupported length form');
    if (pos + count > limit) fail('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos + i]!;
    pos += count;
    if (length < 0x80 || (count > 1 && input[pos - count] === 0)) fail('length is not minimally encoded');
  }
  if (pos + length > limit) fail('element runs past its container');
  return { tag, value: input.subarray(pos, pos + length), end: pos + length };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function readUtf8(element: DerElement): string {
  try {
    return decoder.decode(element.value);
  } catch (err) {
    throw new IdentityError(
      'GH_ERR_CERT_BAD_EXTENSION',
      "the certificate's Gatehouse identity extension is malformed: invalid UTF-8",
      { cause: err },
    );
  }
}

/** A small non-negative INTEGER (the version field). */
export function readSmallInteger(element: DerElement): number {
  const v = element.value;
  if (v.length === 0 || v.length > 4 || (v[0]! & 0x80) !== 0) fail('invalid INTEGER');
  if (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) fail('INTEGER is not minimally encoded');
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export function writeDer(tag: number, contents: Uint8Array): Uint8Array {
  const header = encodeLength(contents.length);
  const out = new Uint8Array(1 + header.length + contents.length);
  out[0] = tag;
  out.set(header, 1);
  out.set(contents, 1 + header.length);
  return out;
}

export function joinDer(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const encoder = new TextEncoder();

export function writeUtf8(tag: number, text: string): Uint8Array {
  return writeDer(tag, encoder.encode(text));
}

export function writeSmallInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = n; ; v = Math.floor(v / 256)) {
    bytes.unshift(v & 0xff);
    if (v < 256) break;
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return writeDer(DerTag.Integer, Uint8Array.from(bytes));
}

/**
 * DER of an OBJECT IDENTIFIER, arcs of any size (X.690 §8.19). Written here because the 2.25
 * arc holds a 128-bit integer, which @peculiar/x509 does not round-trip.
 */
export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError(`an OID needs at least two arcs: ${oid}`);
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const value of values) {
    const groups: number[] = [];
    let v = value;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < groups.length - 1; i++) groups[i]! |= 0x80;
    bytes.push(...groups);
  }
  return writeDer(DerTag.ObjectIdentifier, Uint8Array.from(bytes));
}
