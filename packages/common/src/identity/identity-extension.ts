// The Gatehouse identity extension: the route and traits a user certificate carries.
// OID and encoding are documented in docs/identity.md; the auth package encodes, the proxy and
// the engine decode, so both live here.
//
//   GatehouseIdentity ::= SEQUENCE {
//     version    INTEGER (1),
//     dbService  UTF8String,
//     dbUser     [0] IMPLICIT UTF8String OPTIONAL,
//     dbName     [1] IMPLICIT UTF8String OPTIONAL,
//     dbUsers    SEQUENCE OF UTF8String,   -- allowed db users (the user's traits)
//     dbNames    SEQUENCE OF UTF8String,   -- allowed db names (the user's traits)
//     dbRole     [2] IMPLICIT UTF8String OPTIONAL,  -- backend role asked for: primary | replica
//     ...                                  -- fields appended compatibly within version 1
//   }
// dbRole was appended within version 1: older decoders skip it. A decoder skips elements after
// the ones it knows; an incompatible change bumps the version, which
// older decoders refuse.
import {
  DerTag,
  encodeOid,
  joinDer,
  readDerElement,
  readSmallInteger,
  readUtf8,
  writeDer,
  writeSmallInteger,
  writeUtf8,
} from './der.js';
import { IdentityError } from './identity-error.js';

/** 2.25 arc (UUID e5a93435-dac3-42ce-ac07-16af168b46e1, ITU-T X.667), generated once for Gatehouse. */
export const IDENTITY_EXTENSION_OID = '2.25.305271768155933912071556536091168949985';
export const IDENTITY_EXTENSION_VERSION = 1;
/** The OID's DER (tag, length and arcs), for finding the extension in a certificate. */
export const IDENTITY_EXTENSION_OID_DER: Uint8Array = encodeOid(IDENTITY_EXTENSION_OID);

export interface IdentityExtension {
  readonly dbService: string;
  readonly dbUser?: string;
  readonly dbName?: string;
  /** Db users the person may use (their `db_users` trait). */
  readonly dbUsers: readonly string[];
  /** Db names the person may use (their `db_names` trait). */
  readonly dbNames: readonly string[];
  /** The role of backend the certificate routes to (`gatectl auth sign --db-role`). */
  readonly dbRole?: string;
}

function writeStrings(values: readonly string[]): Uint8Array {
  return writeDer(DerTag.Sequence, joinDer(values.map((v) => writeUtf8(DerTag.Utf8String, v))));
}

/** DER of the extension value (what goes inside the extension's OCTET STRING). */
export function encodeIdentityExtension(ext: IdentityExtension): Uint8Array {
  const parts = [writeSmallInteger(IDENTITY_EXTENSION_VERSION), writeUtf8(DerTag.Utf8String, ext.dbService)];
  if (ext.dbUser !== undefined) parts.push(writeUtf8(DerTag.Context0, ext.dbUser));
  if (ext.dbName !== undefined) parts.push(writeUtf8(DerTag.Context1, ext.dbName));
  parts.push(writeStrings(ext.dbUsers), writeStrings(ext.dbNames));
  if (ext.dbRole !== undefined) parts.push(writeUtf8(DerTag.Context2, ext.dbRole));
  return writeDer(DerTag.Sequence, joinDer(parts));
}

function malformed(reason: string): IdentityError {
  return new IdentityError(
    'GH_ERR_CERT_BAD_EXTENSION',
    `the certificate's Gatehouse identity extension is malformed: ${reason}`,
  );
}

function readStrings(
  input: Uint8Array,
  offset: number,
  limit: number,
  field: string,
): { values: string[]; end: number } {
  const seq = readDerElement(input, offset, limit);
  if (seq.tag !== DerTag.Sequence) throw malformed(`${field} is not a SEQUENCE`);
  const values: string[] = [];
  const base = seq.end - seq.value.length;
  for (let at = base; at < seq.end; ) {
    const item = readDerElement(input, at, seq.end);
    if (item.tag !== DerTag.Utf8String) throw malformed(`${field} holds a non-UTF8String`);
    values.push(readUtf8(item));
    at = item.end;
  }
  return { values, end: seq.end };
}

/** Decodes the extension value; throws IdentityError GH_ERR_CERT_BAD_EXTENSION on any defect. */
export function decodeIdentityExtension(input: Uint8Array): IdentityExtension {
  const outer = readDerElement(input, 0);
  if (outer.tag !== DerTag.Sequence) throw malformed('not a SEQUENCE');
  if (outer.end !== input.length) throw malformed('trailing bytes');
  const limit = outer.end;
  let at = outer.end - outer.value.length;
  const version = readDerElement(input, at, limit);
  if (version.tag !== DerTag.Integer) throw malformed('missing version');
  const v = readSmallInteger(version);
  if (v !== IDENTITY_EXTENSION_VERSION) throw malformed(`unsupported version ${v}`);
  const service = readDerElement(input, version.end, limit);
  if (service.tag !== DerTag.Utf8String) throw malformed('missing db service');
  const dbService = readUtf8(service);
  if (dbService.length === 0) throw malformed('empty db service');
  at = service.end;
  let dbUser: string | undefined;
  let dbName: string | undefined;
  let next = readDerElement(input, at, limit);
  if (next.tag === DerTag.Context0) {
    dbUser = readUtf8(next);
    at = next.end;
    next = readDerElement(input, at, limit);
  }
  if (next.tag === DerTag.Context1) {
    dbName = readUtf8(next);
    at = next.end;
  }
  const users = readStrings(input, at, limit, 'dbUsers');
  const names = readStrings(input, users.end, limit, 'dbNames');
  let dbRole: string | undefined;
  if (names.end < limit) {
    const role = readDerElement(input, names.end, limit);
    if (role.tag === DerTag.Context2) dbRole = readUtf8(role);
  }
  return {
    dbService,
    ...(dbUser !== undefined ? { dbUser } : {}),
    ...(dbName !== undefined ? { dbName } : {}),
    dbUsers: users.values,
    dbNames: names.values,
    ...(dbRole !== undefined ? { dbRole } : {}),
  };
}
