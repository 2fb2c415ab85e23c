// Password-protected PKCS#12 for Java clients (JDBC, DBeaver), made with node-forge.
// node-forge's PKCS#12 writer handles RSA keys only, so certificates bundled this way are
// issued with an RSA-2048 key. It also cannot parse our certificates (ECDSA CA keys, the 2.25
// extension OID is beyond its 53-bit limit), so the certificates go in as their exact DER: for
// the duration of the synchronous call, forge's certificate-to-ASN.1 step is pointed at that DER.
import { createHash } from 'node:crypto';
import { GatehouseError } from '@gatehouse/common';
import forge from 'node-forge';
import { x509 } from './keys.js';

export interface Pkcs12Input {
  /** PKCS#8 PEM of an RSA private key. */
  readonly privateKey: string;
  /** PEM certificates, the leaf first, then its CA. */
  readonly certificates: readonly string[];
  readonly password: string;
  readonly friendlyName?: string;
}

interface RawCertificate {
  readonly rawDer: string; // forge's binary string
}

/** DER of a PKCS#12 with the key (AES-256, PBES2) and the chain, MAC'd with the password. */
export function createPkcs12(input: Pkcs12Input): Uint8Array {
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(input.privateKey) as forge.pki.rsa.PrivateKey;
  } catch {
    // forge's message never quotes the key, but no cause is kept, to be sure.
    throw new GatehouseError('GH_ERR_CERT_ISSUE', 'PKCS#12 output needs an RSA private key');
  }
  const ders = input.certificates.map((pem) => new Uint8Array(new x509.X509Certificate(pem).rawData));
  const raw: RawCertificate[] = ders.map((der) => ({ rawDer: Buffer.from(der).toString('binary') }));
  const localKeyId = createHash('sha1').update(ders[0]!).digest('hex');
  const pki = forge.pki as unknown as { certificateToAsn1: (cert: unknown) => forge.asn1.Asn1 };
  const original = pki.certificateToAsn1;
  pki.certificateToAsn1 = (cert) => forge.asn1.fromDer((cert as RawCertificate).rawDer);
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.pkcs12.toPkcs12Asn1(key, raw as unknown as forge.pki.Certificate[], input.password, {
      algorithm: 'aes256',
      localKeyId,
      ...(input.friendlyName !== undefined ? { friendlyName: input.friendlyName } : {}),
    });
  } finally {
    pki.certificateToAsn1 = original;
  }
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
