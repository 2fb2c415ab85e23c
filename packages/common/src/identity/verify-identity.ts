// Turns a client certificate chain into an Identity, or an IdentityError saying what is wrong
// and what to do. The proxy calls it at the TLS handshake and the engine again per session.
import { createHash } from 'node:crypto';
import { readTrustedCa } from './ca-cache.js';
import { findCertificateExtension } from './certificate-extension.js';
import { decodeIdentityExtension, IDENTITY_EXTENSION_OID_DER } from './identity-extension.js';
import { IdentityError } from './identity-error.js';
import { CLOCK_SKEW_MS, type Identity, type LockLookup, type TrustedCa } from './identity.js';
import { x509 } from './x509-crypto.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface VerifyIdentityOptions {
  /** The user CAs to trust (during a rotation, the new and the previous one). */
  readonly trusted: readonly TrustedCa[];
  readonly now?: Date;
  /** Returns the user's lock, if any; a lock whose `expires` has passed is ignored. */
  readonly lookupLock?: LockLookup;
}

function parseLeaf(chain: readonly Uint8Array[]): x509.X509Certificate {
  const der = chain[0];
  if (!der || der.length === 0) throw new IdentityError('GH_ERR_CERT_MALFORMED', 'no client certificate was presented');
  try {
    return new x509.X509Certificate(der);
  } catch (err) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', 'the client certificate cannot be parsed as X.509 DER', { cause: err });
  }
}

async function checkIssuer(leaf: x509.X509Certificate, trusted: readonly TrustedCa[], now: Date): Promise<void> {
  const issuer = leaf.issuer;
  const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  let retired: Date | undefined;
  for (const candidate of trusted) {
    const ca = readTrustedCa(candidate);
    if (ca.subject !== issuer || (aki && ca.keyId && aki !== ca.keyId)) continue;
    let valid = false;
    try {
      valid = await leaf.verify({ publicKey: await ca.publicKey, signatureOnly: true });
    } catch {
      valid = false; // a key of another algorithm: not this CA
    }
    if (!valid) continue;
    if (candidate.trustedUntil && candidate.trustedUntil.getTime() <= now.getTime()) {
      retired = candidate.trustedUntil;
      continue;
    }
    return;
  }
  const why = retired
    ? `was signed by a rotated-out CA no longer trusted since ${retired.toISOString()}`
    : `was not signed by a CA Gatehouse trusts (issuer '${issuer}')`;
  throw new IdentityError('GH_ERR_CERT_UNKNOWN_CA', `the client certificate ${why}; issue a new one with 'gatectl auth sign'`);
}

function checkValidity(leaf: x509.X509Certificate, now: Date): void {
  if (now.getTime() > leaf.notAfter.getTime()) {
    throw new IdentityError(
      'GH_ERR_CERT_EXPIRED',
      `certificate expired at ${leaf.notAfter.toISOString()}; issue a new one with 'gatectl auth sign'`,
    );
  }
  if (now.getTime() + CLOCK_SKEW_MS < leaf.notBefore.getTime()) {
    throw new IdentityError(
      'GH_ERR_CERT_NOT_YET_VALID',
      `certificate is not valid until ${leaf.notBefore.toISOString()} (now ${now.toISOString()}); check the clocks of this host and the issuer`,
    );
  }
}

function checkUsage(leaf: x509.X509Certificate): void {
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  if (!eku?.usages.includes(CLIENT_AUTH)) {
    throw new IdentityError(
      'GH_ERR_CERT_WRONG_USAGE',
      'the certificate is not for client authentication (extended key usage lacks clientAuth); use a user certificate from gatectl auth sign',
    );
  }
}

function readSubject(leaf: x509.X509Certificate): { user: string; roles: string[] } {
  const names: string[] = [];
  const roles: string[] = [];
  for (const rdn of leaf.subjectName.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      if (type === 'CN') names.push(...values);
      else if (type === 'O') roles.push(...values);
    }
  }
  if (names.length !== 1 || names[0]!.length === 0) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', `the certificate subject '${leaf.subject}' must hold exactly one CN, the user name`);
  }
  return { user: names[0]!, roles };
}

async function checkLock(user: string, lookup: LockLookup, now: Date): Promise<void> {
  const lock = await lookup(user);
  if (!lock) return;
  const expires = lock.expires === undefined ? undefined : new Date(lock.expires);
  if (expires && expires.getTime() <= now.getTime()) return;
  const until = expires ? ` until ${expires.toISOString()}` : '';
  const reason = lock.message ? `: ${lock.message}` : '';
  throw new IdentityError('GH_ERR_IDENTITY_LOCKED', `user '${user}' is locked${until}${reason}`);
}

/** Verifies a client chain (DER, leaf first) against trusted user CAs at `now`. */
export async function verifyIdentity(chain: readonly Uint8Array[], options: VerifyIdentityOptions): Promise<Identity> {
  const now = options.now ?? new Date();
  const leaf = parseLeaf(chain);
  await checkIssuer(leaf, options.trusted, now);
  checkValidity(leaf, now);
  checkUsage(leaf);
  const { user, roles } = readSubject(leaf);
  const raw = findCertificateExtension(chain[0]!, IDENTITY_EXTENSION_OID_DER);
  if (!raw) {
    throw new IdentityError('GH_ERR_CERT_BAD_EXTENSION', 'the certificate has no Gatehouse identity extension; it is not a Gatehouse user certificate');
  }
  const ext = decodeIdentityExtension(raw.value);
  if (options.lookupLock) await checkLock(user, options.lookupLock, now);
  return {
    user,
    roles,
    route: {
      dbService: ext.dbService,
      ...(ext.dbUser !== undefined ? { dbUser: ext.dbUser } : {}),
      ...(ext.dbName !== undefined ? { dbName: ext.dbName } : {}),
    },
    traits: { dbUsers: ext.dbUsers, dbNames: ext.dbNames },
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    serial: leaf.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(chain[0]!).digest('hex'),
  };
}
