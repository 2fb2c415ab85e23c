// Finds an extension's value in a certificate's DER by walking the structure (RFC 5280 §4.1):
// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
// TBSCertificate ::= SEQUENCE { [0] version, serial, signature, issuer, validity, subject,
//   subjectPublicKeyInfo, [1] issuerUID, [2] subjectUID, [3] extensions }
// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
// @peculiar/x509 mangles OIDs with arcs beyond 2^53, such as the 2.25 UUID arc, so the
// identity extension is read here.
import { DerTag, readDerElement } from './der.js';
import { IdentityError } from './identity-error.js';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function contentStart(el: { value: Uint8Array; end: number }): number {
  return el.end - el.value.length;
}

/** The extnValue of the extension whose encoded OID is `oidDer`, or undefined when absent. */
export function findCertificateExtension(
  certDer: Uint8Array,
  oidDer: Uint8Array,
): { value: Uint8Array; critical: boolean } | undefined {
  try {
    const cert = readDerElement(certDer, 0);
    const tbs = readDerElement(certDer, contentStart(cert), cert.end);
    for (let at = contentStart(tbs); at < tbs.end; ) {
      const field = readDerElement(certDer, at, tbs.end);
      at = field.end;
      if (field.tag !== DerTag.Context3Constructed) continue;
      const list = readDerElement(certDer, contentStart(field), field.end);
      for (let e = contentStart(list); e < list.end; ) {
        const ext = readDerElement(certDer, e, list.end);
        e = ext.end;
        const id = readDerElement(certDer, contentStart(ext), ext.end);
        if (!equalBytes(certDer.subarray(contentStart(ext), id.end), oidDer)) continue;
        let next = readDerElement(certDer, id.end, ext.end);
        let critical = false;
        if (next.tag === DerTag.Boolean) {
          critical = next.value[0] !== 0;
          next = readDerElement(certDer, next.end, ext.end);
        }
        if (next.tag !== DerTag.OctetString) throw new Error('extnValue is not an OCTET STRING');
        return { value: next.value, critical };
      }
    }
    return undefined;
  } catch (err) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', 'the client certificate is not well-formed DER', { cause: err });
  }
}
