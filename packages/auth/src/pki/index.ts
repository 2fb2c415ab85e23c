// Public surface of the PKI area: the three CAs and certificate issuance.
export {
  type Authorities,
  type CaRecord,
  type CaSigner,
  ensureAuthorities,
  type InitOptions,
  initAuthorities,
  openAuthorities,
  type RotateOptions,
} from './authorities.js';
export { openCaFileStorage } from './ca-file-storage.js';
export type { CaStorage } from './ca-storage.js';
export { CA_TYPES, type CaType, isCaType } from './create-ca.js';
export {
  type DbClientCertOptions,
  DEFAULT_DB_CLIENT_TTL_MS,
  DEFAULT_HOST_TTL_MS,
  DEFAULT_USER_TTL_MS,
  type HostCertOptions,
  type IssuedCertificate,
  issueDbClientCert,
  issueHostCert,
  issueUserCert,
  type UserCertOptions,
} from './issue.js';
export { isKeyAlgorithm, KEY_ALGORITHMS, type KeyAlgorithm } from './keys.js';
export { createPkcs12, type Pkcs12Input } from './pkcs12.js';
