// Issuing a certificate that carries an OID with huge arcs (the 2.25 UUID arc) through
// @peculiar/x509, which cannot encode them: the generator writes a placeholder OID of the same
// encoded length, then the TBSCertificate is patched and signed again here (RFC 5280 §4.1.1.3).
import { KeyObject, sign, type webcrypto } from 'node:crypto';
import { GatehouseError } from '../errors.js';
import { DerTag, encodeOid, joinDer, readDerElement, writeDer } from './der.js';

/** An OID ("2.25.1.1…") whose DER has the same length as `oid`'s. */
export function placeholderOid(oid: string): string {
  const contentLength = encodeOid(oid).length - 2;
  return ['2.25', ...Array.from({ length: contentLength - 1 }, () => '1')].join('.');
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number[] {
  const found: number[] = [];
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    found.push(i);
  }
  return found;
}

/**
 * Replaces the placeholder OID with `oid` in `certDer` and signs the result with `signingKey`
 * (ECDSA or RSASSA-PKCS1-v1_5, SHA-256), keeping the signature algorithm the generator chose.
 */
export function resignWithOid(certDer: Uint8Array, oid: string, signingKey: webcrypto.CryptoKey): Uint8Array {
  const cert = readDerElement(certDer, 0);
  const tbsElement = readDerElement(certDer, cert.end - cert.value.length, cert.end);
  const algElement = readDerElement(certDer, tbsElement.end, cert.end);
  const tbs = Uint8Array.from(certDer.subarray(cert.end - cert.value.length, tbsElement.end));
  const placeholder = encodeOid(placeholderOid(oid));
  const real = encodeOid(oid);
  const at = indexOfBytes(tbs, placeholder);
  if (at.length !== 1 || placeholder.length !== real.length) {
    throw new GatehouseError(
      'GH_ERR_INTERNAL',
      `the placeholder for OID ${oid} occurs ${at.length} times in the certificate`,
    );
  }
  tbs.set(real, at[0]!);
  const signature = sign('sha256', tbs, { key: KeyObject.from(signingKey), dsaEncoding: 'der' });
  const bits = writeDer(0x03, joinDer([Uint8Array.of(0), signature])); // BIT STRING, no unused bits
  return writeDer(DerTag.Sequence, joinDer([tbs, certDer.subarray(tbsElement.end, algElement.end), bits]));
}
