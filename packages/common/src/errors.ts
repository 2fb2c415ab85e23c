// Every error Gatehouse raises on purpose is a GatehouseError with a stable code from this
// table. Callers match on `code`, never on message text. docs/errors.md documents each code;
// a test keeps the two in step.

export const ERROR_CODES = {
  GH_ERR_INTERNAL: 'An unexpected failure inside Gatehouse; the message and its cause say more.',
  GH_ERR_USAGE: 'A command was called with arguments it does not accept.',
  GH_ERR_CONFIG: 'A configuration file or value is invalid; the message names the path and the reason.',
  // --- MySQL wire (framing, buffers, OK/ERR/EOF) ---
  GH_ERR_MYSQL_PROTOCOL:
    'A MySQL packet was malformed or truncated, or broke the protocol; the connection that sent it is closed.',
  GH_ERR_MYSQL_PACKET_TOO_LARGE:
    'A MySQL packet announced a payload larger than the configured maximum; it was refused before being buffered.',
  // --- MySQL connection phase (handshake, auth plugins, upstream login, version probe) ---
  // --- MySQL client commands ---
  // --- MySQL response tracking ---
  // --- identity, PKI and RBAC ---
  // --- store (users, roles, tokens, locks) ---
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
