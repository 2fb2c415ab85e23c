// Turns a client certificate chain into an Identity, or an IdentityError saying what is wrong
// and what to do. The proxy calls it at the TLS handshake and the engine again per session, so
// it uses Node's native X509Certificate (about 0.25 ms parse + P-256 verify, against 1-3 ms for
// @peculiar/x509's parse and accessors on the same machine) and cached CA keys.
import { createHash, X509Certificate } from 'node:crypto';
import { readTrustedCa } from './ca-cache.js';
import { findCertificateExtension } from './certificate-extension.js';
import { CLOCK_SKEW_MS, type Identity, type LockLookup, type TrustedCa } from './identity.js';
import { IdentityError } from './identity-error.js';
import { decodeIdentityExtension, IDENTITY_EXTENSION_OID_DER } from './identity-extension.js';
import { readSubjectNames } from './subject-names.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface VerifyIdentityOptions {
  /** The user CAs to trust (during a rotation, the new and the previous one). */
  readonly trusted: readonly TrustedCa[];
  readonly now?: Date;
  /** Returns the user's lock, if any; a lock whose `expires` has passed is ignored. */
  readonly lookupLock?: LockLookup;
}

function parseLeaf(chain: readonly Uint8Array[]): X509Certificate {
  const der = chain[0];
  if (!der || der.length === 0) throw new IdentityError('GH_ERR_CERT_MALFORMED', 'no client certificate was presented');
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', 'the client certificate cannot be parsed as X.509 DER', {
      cause: err,
    });
  }
}

function checkIssuer(leaf: X509Certificate, trusted: readonly TrustedCa[], now: Date): void {
  let retired: Date | undefined;
  for (const candidate of trusted) {
    const ca = readTrustedCa(candidate);
    // checkIssued compares the issuer name and the key identifiers; verify checks the signature.
    if (!leaf.checkIssued(ca.cert) || !leaf.verify(ca.publicKey)) continue;
    if (candidate.trustedUntil && candidate.trustedUntil.getTime() <= now.getTime()) {
      retired = candidate.trustedUntil;
      continue;
    }
    return;
  }
  const issuer = leaf.issuer.replaceAll('\n', ', ');
  const why = retired
    ? `was signed by a rotated-out CA no longer trusted since ${retired.toISOString()}`
    : `was not signed by a CA Gatehouse trusts (issuer '${issuer}')`;
  throw new IdentityError(
    'GH_ERR_CERT_UNKNOWN_CA',
    `the client certificate ${why}; issue a new one with 'gatectl auth sign'`,
  );
}

function checkValidity(notBefore: Date, notAfter: Date, now: Date): void {
  if (now.getTime() > notAfter.getTime()) {
    throw new IdentityError(
      'GH_ERR_CERT_EXPIRED',
      `certificate expired at ${notAfter.toISOString()}; issue a new one with 'gatectl auth sign'`,
    );
  }
  if (now.getTime() + CLOCK_SKEW_MS < notBefore.getTime()) {
    throw new IdentityError(
      'GH_ERR_CERT_NOT_YET_VALID',
      `certificate is not valid until ${notBefore.toISOString()} (now ${now.toISOString()}); check the clocks of this host and the issuer`,
    );
  }
}

function checkUsage(leaf: X509Certificate): void {
  // Node's `keyUsage` lists the extended key usage OIDs (undefined when the extension is absent).
  if (!leaf.keyUsage?.includes(CLIENT_AUTH)) {
    throw new IdentityError(
      'GH_ERR_CERT_WRONG_USAGE',
      'the certificate is not for client authentication (extended key usage lacks clientAuth); use a user certificate from gatectl auth sign',
    );
  }
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
  const der = chain[0]!;
  checkIssuer(leaf, options.trusted, now);
  const notBefore = new Date(Date.parse(leaf.validFrom));
  const notAfter = new Date(Date.parse(leaf.validTo));
  checkValidity(notBefore, notAfter, now);
  checkUsage(leaf);
  const names = readSubjectNames(der);
  const user = names.commonNames[0];
  if (names.commonNames.length !== 1 || !user) {
    throw new IdentityError(
      'GH_ERR_CERT_MALFORMED',
      `the certificate subject '${leaf.subject.replaceAll('\n', ', ')}' must hold exactly one CN, the user name`,
    );
  }
  const raw = findCertificateExtension(der, IDENTITY_EXTENSION_OID_DER);
  if (!raw) {
    throw new IdentityError(
      'GH_ERR_CERT_BAD_EXTENSION',
      'the certificate has no Gatehouse identity extension; it is not a Gatehouse user certificate',
    );
  }
  const ext = decodeIdentityExtension(raw.value);
  if (options.lookupLock) await checkLock(user, options.lookupLock, now);
  return {
    user,
    roles: names.organizations,
    route: {
      dbService: ext.dbService,
      ...(ext.dbUser !== undefined ? { dbUser: ext.dbUser } : {}),
      ...(ext.dbName !== undefined ? { dbName: ext.dbName } : {}),
      ...(ext.dbRole !== undefined ? { dbRole: ext.dbRole } : {}),
    },
    traits: { dbUsers: ext.dbUsers, dbNames: ext.dbNames },
    notBefore,
    notAfter,
    serial: leaf.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}
