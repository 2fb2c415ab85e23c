// Reads the CN and O attributes of a certificate's subject from its DER (RFC 5280 §4.1.2.6),
// in order, keeping each value exactly (no string escaping round trip).
// Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET OF AttributeTypeAndValue;
// AttributeTypeAndValue ::= SEQUENCE { type OID, value DirectoryString }
import { type DerElement, DerTag, readDerElement } from './der.js';
import { IdentityError } from './identity-error.js';

const CN_OID = [0x06, 0x03, 0x55, 0x04, 0x03]; // 2.5.4.3 commonName
const O_OID = [0x06, 0x03, 0x55, 0x04, 0x0a]; // 2.5.4.10 organizationName
const SET = 0x31;
const STRING_TAGS = {
  Utf8: 0x0c, // UTF8String
  Printable: 0x13, // PrintableString
  Ia5: 0x16, // IA5String
  Bmp: 0x1e, // BMPString
} as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

const start = (el: DerElement): number => el.end - el.value.length;

function isOid(der: Uint8Array, at: number, oid: readonly number[]): boolean {
  for (let i = 0; i < oid.length; i++) if (der[at + i] !== oid[i]) return false;
  return true;
}

function readString(el: DerElement): string {
  if (el.tag === STRING_TAGS.Bmp) return utf16be.decode(el.value);
  if (el.tag === STRING_TAGS.Utf8 || el.tag === STRING_TAGS.Printable || el.tag === STRING_TAGS.Ia5)
    return utf8.decode(el.value);
  throw new Error(`unsupported string type 0x${el.tag.toString(16)}`);
}

export interface SubjectNames {
  readonly commonNames: string[];
  readonly organizations: string[];
}

export function readSubjectNames(certDer: Uint8Array): SubjectNames {
  try {
    const cert = readDerElement(certDer, 0);
    const tbs = readDerElement(certDer, start(cert), cert.end);
    let at = start(tbs);
    let field = readDerElement(certDer, at, tbs.end);
    if (field.tag === DerTag.Context0Constructed) field = readDerElement(certDer, field.end, tbs.end);
    // serial, signature, issuer, validity, then subject
    for (let skip = 0; skip < 4; skip++) field = readDerElement(certDer, field.end, tbs.end);
    const out: SubjectNames = { commonNames: [], organizations: [] };
    for (at = start(field); at < field.end; ) {
      const rdn = readDerElement(certDer, at, field.end);
      at = rdn.end;
      if (rdn.tag !== SET) throw new Error('RDN is not a SET');
      for (let a = start(rdn); a < rdn.end; ) {
        const atv = readDerElement(certDer, a, rdn.end);
        a = atv.end;
        const type = readDerElement(certDer, start(atv), atv.end);
        const value = readDerElement(certDer, type.end, atv.end);
        if (isOid(certDer, start(atv), CN_OID) && type.end - start(atv) === CN_OID.length)
          out.commonNames.push(readString(value));
        else if (isOid(certDer, start(atv), O_OID) && type.end - start(atv) === O_OID.length)
          out.organizations.push(readString(value));
      }
    }
    return out;
  } catch (err) {
    throw new IdentityError('GH_ERR_CERT_MALFORMED', 'the client certificate subject cannot be read', { cause: err });
  }
}
