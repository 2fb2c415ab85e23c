// Every error Gatehouse raises on purpose is a GatehouseError with a stable code from this
// table. Callers match on `code`, never on message text. docs/errors.md documents each code;
// a test keeps the two in step.

export const ERROR_CODES = {
  GH_ERR_INTERNAL: 'An unexpected failure inside Gatehouse; the message and its cause say more.',
  GH_ERR_USAGE: 'A command was called with arguments it does not accept.',
  GH_ERR_CONFIG: 'A configuration file or value is invalid; the message names the path and the reason.',
  // --- MySQL wire (framing, buffers, OK/ERR/EOF) ---
  // --- MySQL connection phase (handshake, auth plugins, upstream login, version probe) ---
  // --- MySQL client commands ---
  // --- MySQL response tracking ---
  // --- identity, PKI and RBAC ---
  GH_ERR_CERT_MALFORMED: 'A client certificate chain is missing or cannot be parsed.',
  GH_ERR_CERT_UNKNOWN_CA: 'A certificate was not signed by a CA that Gatehouse currently trusts (or its signature is invalid).',
  GH_ERR_CERT_EXPIRED: 'A certificate is past its notAfter time; issue a new one with gatectl auth sign.',
  GH_ERR_CERT_NOT_YET_VALID: 'A certificate is not valid yet, beyond the one minute of clock skew allowed.',
  GH_ERR_CERT_WRONG_USAGE: 'A certificate lacks the extended key usage its role needs (clientAuth for user certs).',
  GH_ERR_CERT_BAD_EXTENSION: 'A user certificate lacks the Gatehouse identity extension, or the extension cannot be decoded.',
  GH_ERR_IDENTITY_LOCKED: 'The user named by a certificate is locked (gatectl lock); the message carries the lock reason.',
  GH_ERR_CA_NOT_INITIALIZED: "The data directory has no certificate authorities yet; run 'gatectl ca init'.",
  GH_ERR_CA_STORAGE: 'The certificate authorities in the data directory are unreadable or inconsistent.',
  GH_ERR_CERT_ISSUE: 'A certificate cannot be issued with the given parameters (unknown user, TTL beyond the roles\' cap, …).',
  // --- store (users, roles, tokens, locks) ---
  GH_ERR_STORE_IO: 'Reading or writing the state store failed; the message names the file or directory.',
  GH_ERR_STORE_CORRUPT: 'A stored object failed validation; the message names the file, the path and the reason.',
  GH_ERR_STORE_NOT_FOUND: 'The named user, role, token or lock does not exist.',
  GH_ERR_STORE_EXISTS: 'An object with that name already exists; replace it explicitly (e.g. --force).',
  GH_ERR_STORE_CONFLICT: 'The object changed since it was read (compare-and-swap lost); read it again and retry.',
  GH_ERR_STORE_LOCK_TIMEOUT: 'The state store lock stayed held by another process for too long.',
  GH_ERR_UNKNOWN_ROLE: 'A user refers to a role that does not exist.',
  GH_ERR_TOKEN_INVALID: 'A provisioning token is unknown or was already used.',
  GH_ERR_TOKEN_EXPIRED: 'A provisioning token has expired.',
  // --- tunnel, proxy and engine ---
  // --- audit ---
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatehouseError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isGatehouseError(err: unknown, code?: ErrorCode): err is GatehouseError {
  return err instanceof GatehouseError && (code === undefined || err.code === code);
}
