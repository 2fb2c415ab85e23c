// A self-signed CA certificate for one of the three authorities.
import { randomBytes } from 'node:crypto';
import { type CryptoKeyPair, generateKeyPair, type KeyAlgorithm, signingAlgorithm, x509 } from './keys.js';

export const CA_TYPES = ['user', 'host', 'db-client'] as const;
export type CaType = (typeof CA_TYPES)[number];

export function isCaType(value: string): value is CaType {
  return (CA_TYPES as readonly string[]).includes(value);
}

const CA_LIFETIME_MS = 10 * 365 * 86_400_000;

export interface NewCa {
  readonly id: string;
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

/** A fresh key pair and a 10-year self-signed certificate; `id` tells generations apart. */
export async function createCa(type: CaType, algorithm: KeyAlgorithm, now: Date): Promise<NewCa> {
  const id = randomBytes(8).toString('hex');
  const keys = await generateKeyPair(algorithm);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: [{ CN: [`Gatehouse ${type} CA`] }, { O: ['Gatehouse'] }, { OU: [id] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: signingAlgorithm(algorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { id, cert, keys };
}
