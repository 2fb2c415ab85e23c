// Parsed trusted CAs, kept across calls: verification runs on every session, so a CA's
// certificate is parsed and its public key prepared once (Node's native X509Certificate and
// KeyObject, which verify a P-256 leaf in a fraction of @peculiar/x509's parse time).
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import type { TrustedCa } from './identity.js';
import { IdentityError } from './identity-error.js';

export interface ParsedCa {
  readonly cert: X509Certificate;
  readonly publicKey: KeyObject;
}

const MAX_ENTRIES = 64;
const byObject = new WeakMap<TrustedCa, ParsedCa>();
const byDigest = new Map<string, ParsedCa>();

function parse(input: TrustedCa): ParsedCa {
  try {
    const cert = new X509Certificate(input.certificate);
    return { cert, publicKey: cert.publicKey };
  } catch (err) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', 'a trusted CA certificate cannot be parsed', { cause: err });
  }
}

/** Returns the parsed form of a trusted CA, from the cache when it was seen before. */
export function readTrustedCa(input: TrustedCa): ParsedCa {
  const known = byObject.get(input);
  if (known) return known;
  const digest = createHash('sha256').update(input.certificate).digest('base64');
  let parsed = byDigest.get(digest);
  if (!parsed) {
    parsed = parse(input);
    if (byDigest.size >= MAX_ENTRIES) byDigest.clear();
    byDigest.set(digest, parsed);
  }
  byObject.set(input, parsed);
  return parsed;
}
