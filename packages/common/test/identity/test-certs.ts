// Certificates for identity tests, made directly with @peculiar/x509 so common's tests do not
// depend on the auth package that normally issues them.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  encodeIdentityExtension,
  IDENTITY_EXTENSION_OID,
  type IdentityExtension,
  placeholderOid,
  resignWithOid,
} from '../../src/identity/index.js';

x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export interface TestAuthority {
  readonly cert: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly keys: webcrypto.CryptoKeyPair;
}

export async function makeCa(name = 'Test user CA'): Promise<TestAuthority> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    name: [{ CN: [name] }],
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2040-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, der: new Uint8Array(cert.rawData), keys };
}

export interface LeafOptions {
  readonly user?: string;
  readonly roles?: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly usages?: readonly string[];
  readonly extension?: IdentityExtension | Uint8Array | null;
}

export const DEFAULT_ROUTE: IdentityExtension = {
  dbService: 'orders',
  dbUser: 'app_ro',
  dbName: 'shop',
  dbUsers: ['app_ro', 'report'],
  dbNames: ['shop'],
};

export async function makeLeaf(ca: TestAuthority, options: LeafOptions): Promise<Uint8Array> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ext = options.extension === undefined ? DEFAULT_ROUTE : options.extension;
  const value = ext === null ? undefined : ext instanceof Uint8Array ? ext : encodeIdentityExtension(ext);
  const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)!;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `02${randomBytes(8).toString('hex')}`,
    subject: [{ CN: [options.user ?? 'alice'] }, ...(options.roles ?? ['dev']).map((r) => ({ O: [r] }))],
    issuer: ca.cert.subjectName,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.ExtendedKeyUsageExtension([...(options.usages ?? [CLIENT_AUTH])]),
      new x509.AuthorityKeyIdentifierExtension(ski.keyId),
      ...(value ? [new x509.Extension(placeholderOid(IDENTITY_EXTENSION_OID), false, value)] : []),
    ],
  });
  const der = new Uint8Array(cert.rawData);
  return value ? resignWithOid(der, IDENTITY_EXTENSION_OID, ca.keys.privateKey) : der;
}
