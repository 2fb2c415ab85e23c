// Leaf certificates: user certs (identity extension), host certs (proxies and engines) and
// ephemeral db-client certs (CN=<db user>, for x509 logins to MySQL).
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  encodeIdentityExtension,
  formatDuration,
  GatehouseError,
  IDENTITY_EXTENSION_OID,
  type IdentityExtension,
  placeholderOid,
  resignWithOid,
} from '@gatehouse/common';
import type { CaSigner } from './authorities.js';
import {
  type CryptoKey,
  exportPrivateKeyPem,
  generateKeyPair,
  importPublicKeyPem,
  type KeyAlgorithm,
  signingAlgorithm,
  x509,
} from './keys.js';

export const DEFAULT_USER_TTL_MS = 8 * 3_600_000;
export const DEFAULT_HOST_TTL_MS = 30 * 86_400_000;
export const DEFAULT_DB_CLIENT_TTL_MS = 3_600_000;
/** notBefore is set this far back so a peer whose clock runs a little behind accepts the cert. */
const BACKDATE_MS = 60_000;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface IssuedCertificate {
  readonly cert: x509.X509Certificate;
  /** PEM of the certificate. */
  readonly certificate: string;
  /** PKCS#8 PEM of the new private key; '' when the caller supplied its public key. */
  readonly privateKey: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly notAfter: Date;
}

interface LeafOptions {
  readonly subject: x509.JsonName;
  readonly notAfter: Date;
  readonly now: Date;
  readonly usages: readonly string[];
  readonly keyAlgorithm: KeyAlgorithm | undefined;
  /** The subject's own public key (e.g. an engine joining); then no key pair is generated. */
  readonly publicKey?: { readonly key: CryptoKey; readonly algorithm: KeyAlgorithm } | undefined;
  readonly extra?: readonly x509.Extension[];
  /** Set when `extra` carries a placeholder for an OID @peculiar/x509 cannot encode. */
  readonly realOid?: string;
}

function issueError(message: string): GatehouseError {
  return new GatehouseError('GH_ERR_CERT_ISSUE', message);
}

async function suppliedKey(pem: string | undefined): Promise<LeafOptions['publicKey']> {
  if (pem === undefined) return undefined;
  const imported = await importPublicKeyPem(pem);
  if (!imported)
    throw issueError('the public key must be a PEM SubjectPublicKeyInfo of an ECDSA P-256 or RSA (2048+ bits) key');
  return imported;
}

async function issueLeaf(signer: CaSigner, options: LeafOptions): Promise<IssuedCertificate> {
  const keyAlgorithm = options.publicKey?.algorithm ?? options.keyAlgorithm ?? signer.record.algorithm;
  if (options.notAfter.getTime() <= options.now.getTime())
    throw issueError('the certificate would already be expired: its notAfter is not in the future');
  const keys = options.publicKey
    ? { publicKey: options.publicKey.key, privateKey: undefined }
    : await generateKeyPair(keyAlgorithm);
  const ski = signer.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  let digitalUse = x509.KeyUsageFlags.digitalSignature;
  if (keyAlgorithm === 'rsa-2048') digitalUse |= x509.KeyUsageFlags.keyEncipherment;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    subject: options.subject,
    issuer: signer.cert.subjectName,
    notBefore: new Date(options.now.getTime() - BACKDATE_MS),
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.privateKey as CryptoKey,
    signingAlgorithm: signingAlgorithm(signer.record.algorithm),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(digitalUse, true),
      new x509.ExtendedKeyUsageExtension([...options.usages]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(ski ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] : []),
      ...(options.extra ?? []),
    ],
  });
  const final = options.realOid
    ? new x509.X509Certificate(resignWithOid(new Uint8Array(cert.rawData), options.realOid, signer.privateKey))
    : cert;
  return {
    cert: final,
    certificate: final.toString('pem'),
    privateKey: keys.privateKey ? await exportPrivateKeyPem(keys.privateKey) : '',
    keyAlgorithm,
    notAfter: final.notAfter,
  };
}

export interface UserCertOptions extends IdentityExtension {
  readonly user: string;
  readonly roles: readonly string[];
  /** Default 8h, or `maxTtlMs` when that is shorter. */
  readonly ttlMs?: number;
  /** The roles' max_session_ttl; an explicit `ttlMs` beyond it is refused. */
  readonly maxTtlMs?: number | undefined;
  readonly now?: Date;
  readonly keyAlgorithm?: KeyAlgorithm;
}

/** Subject CN=user, O=<each role>; EKU clientAuth; the identity extension (non-critical). */
export async function issueUserCert(signer: CaSigner, options: UserCertOptions): Promise<IssuedCertificate> {
  if (signer.record.type !== 'user')
    throw issueError(`user certificates are signed by the user CA, not the ${signer.record.type} CA`);
  const now = options.now ?? new Date();
  const cap = options.maxTtlMs;
  if (options.ttlMs !== undefined && cap !== undefined && options.ttlMs > cap) {
    throw issueError(
      `TTL ${formatDuration(options.ttlMs)} exceeds the max_session_ttl of ${formatDuration(cap)} set by the roles of '${options.user}'; ask for ${formatDuration(cap)} or less`,
    );
  }
  const ttl = options.ttlMs ?? Math.min(DEFAULT_USER_TTL_MS, cap ?? DEFAULT_USER_TTL_MS);
  const value = encodeIdentityExtension({
    dbService: options.dbService,
    ...(options.dbUser !== undefined ? { dbUser: options.dbUser } : {}),
    ...(options.dbName !== undefined ? { dbName: options.dbName } : {}),
    dbUsers: options.dbUsers,
    dbNames: options.dbNames,
    ...(options.dbRole !== undefined ? { dbRole: options.dbRole } : {}),
  });
  return issueLeaf(signer, {
    subject: [{ CN: [options.user] }, ...options.roles.map((role) => ({ O: [role] }))],
    notAfter: new Date(now.getTime() + ttl),
    now,
    usages: [CLIENT_AUTH],
    keyAlgorithm: options.keyAlgorithm,
    extra: [new x509.Extension(placeholderOid(IDENTITY_EXTENSION_OID), false, value)],
    realOid: IDENTITY_EXTENSION_OID,
  });
}

export interface HostCertOptions {
  /** The CN, e.g. the proxy's or engine's id. */
  readonly name: string;
  /** DNS names and IP addresses for the subjectAltName. */
  readonly sans: readonly string[];
  readonly ttlMs?: number;
  readonly now?: Date;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Certify this public key (PEM SPKI) instead of generating a key pair. */
  readonly publicKeyPem?: string;
}

/** serverAuth + clientAuth: the same cert serves HTTPS / the MySQL port and tunnel mTLS. */
export async function issueHostCert(signer: CaSigner, options: HostCertOptions): Promise<IssuedCertificate> {
  if (signer.record.type !== 'host')
    throw issueError(`host certificates are signed by the host CA, not the ${signer.record.type} CA`);
  const now = options.now ?? new Date();
  const names = options.sans.map((san) =>
    isIP(san) ? { type: 'ip' as const, value: san } : { type: 'dns' as const, value: san },
  );
  return issueLeaf(signer, {
    subject: [{ CN: [options.name] }, { O: ['Gatehouse'] }],
    notAfter: new Date(now.getTime() + (options.ttlMs ?? DEFAULT_HOST_TTL_MS)),
    now,
    usages: [SERVER_AUTH, CLIENT_AUTH],
    keyAlgorithm: options.keyAlgorithm,
    publicKey: await suppliedKey(options.publicKeyPem),
    extra: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : [],
  });
}

export interface DbClientCertOptions {
  readonly dbUser: string;
  /** Never later than this: the user's own certificate expiry. */
  readonly notAfter: Date;
  readonly ttlMs?: number;
  readonly now?: Date;
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Certify this public key (PEM SPKI) instead of generating a key pair. */
  readonly publicKeyPem?: string;
}

/** CN=<db user> only, so `REQUIRE SUBJECT '/CN=<db user>'` matches exactly. */
export async function issueDbClientCert(signer: CaSigner, options: DbClientCertOptions): Promise<IssuedCertificate> {
  if (signer.record.type !== 'db-client')
    throw issueError(`db-client certificates are signed by the db-client CA, not the ${signer.record.type} CA`);
  const now = options.now ?? new Date();
  const wanted = now.getTime() + (options.ttlMs ?? DEFAULT_DB_CLIENT_TTL_MS);
  return issueLeaf(signer, {
    subject: [{ CN: [options.dbUser] }],
    notAfter: new Date(Math.min(wanted, options.notAfter.getTime())),
    now,
    usages: [CLIENT_AUTH],
    keyAlgorithm: options.keyAlgorithm,
    publicKey: await suppliedKey(options.publicKeyPem),
  });
}
