// Public surface of the identity area; see docs/identity.md.

export { findCertificateExtension } from './certificate-extension.js';
export { encodeOid } from './der.js';
export type { Identity, IdentityLock, IdentityRoute, IdentityTraits, LockLookup, TrustedCa } from './identity.js';
export { CLOCK_SKEW_MS } from './identity.js';
export { IdentityError, type IdentityErrorCode } from './identity-error.js';
export {
  decodeIdentityExtension,
  encodeIdentityExtension,
  IDENTITY_EXTENSION_OID,
  IDENTITY_EXTENSION_OID_DER,
  IDENTITY_EXTENSION_VERSION,
  type IdentityExtension,
} from './identity-extension.js';
export { placeholderOid, resignWithOid } from './resign-certificate.js';
export { readSubjectNames, type SubjectNames } from './subject-names.js';
export { type VerifyIdentityOptions, verifyIdentity } from './verify-identity.js';
