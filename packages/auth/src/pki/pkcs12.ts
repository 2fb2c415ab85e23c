// Password-protected PKCS#12 for Java clients (JDBC, DBeaver), made with node-forge.
// node-forge's PKCS#12 writer handles RSA keys only, so certificates bundled this way are
// issued with an RSA-2048 key.
import forge from 'node-forge';
import { GatehouseError } from '@gatehouse/common';

export interface Pkcs12Input {
  /** PKCS#8 PEM of an RSA private key. */
  readonly privateKey: string;
  /** PEM certificates, the leaf first, then its CA. */
  readonly certificates: readonly string[];
  readonly password: string;
  readonly friendlyName?: string;
}

/** DER of a PKCS#12 with the key (AES-256, PBES2) and the chain, MAC'd with the password. */
export function createPkcs12(input: Pkcs12Input): Uint8Array {
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(input.privateKey) as forge.pki.rsa.PrivateKey;
  } catch (err) {
    // forge's message never quotes the key, but keep only a generic line anyway.
    throw new GatehouseError('GH_ERR_CERT_ISSUE', 'PKCS#12 output needs an RSA private key', { cause: err instanceof Error ? new Error(err.name) : undefined });
  }
  const certs = input.certificates.map((pem) => forge.pki.certificateFromPem(pem));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, input.password, {
    algorithm: 'aes256',
    ...(input.friendlyName !== undefined ? { friendlyName: input.friendlyName } : {}),
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
