// Parsed trusted CAs, kept across calls: verification runs on every session, so a CA's
// certificate is parsed and its public key imported into WebCrypto once.
import { createHash, type webcrypto } from 'node:crypto';
import { IdentityError } from './identity-error.js';
import type { TrustedCa } from './identity.js';
import { x509 } from './x509-crypto.js';

export interface ParsedCa {
  readonly cert: x509.X509Certificate;
  readonly subject: string;
  readonly keyId: string | undefined;
  readonly publicKey: Promise<webcrypto.CryptoKey>;
}

const MAX_ENTRIES = 64;
const byObject = new WeakMap<TrustedCa, ParsedCa>();
const byDigest = new Map<string, ParsedCa>();

function parse(input: TrustedCa): ParsedCa {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(input.certificate);
  } catch (err) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', 'a trusted CA certificate cannot be parsed', { cause: err });
  }
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const publicKey = cert.publicKey.export() as Promise<webcrypto.CryptoKey>;
  // A rejected import surfaces when a verification awaits it; don't let it go unhandled here.
  publicKey.catch(() => {});
  return { cert, subject: cert.subject, keyId: ski?.keyId, publicKey };
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
