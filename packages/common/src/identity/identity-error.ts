import { type ErrorCode, GatehouseError } from '../errors.js';

/** Why a client certificate does not yield an identity. */
export type IdentityErrorCode = Extract<
  ErrorCode,
  | 'GH_ERR_CERT_MALFORMED'
  | 'GH_ERR_CERT_UNKNOWN_CA'
  | 'GH_ERR_CERT_EXPIRED'
  | 'GH_ERR_CERT_NOT_YET_VALID'
  | 'GH_ERR_CERT_WRONG_USAGE'
  | 'GH_ERR_CERT_BAD_EXTENSION'
  | 'GH_ERR_IDENTITY_LOCKED'
>;

export class IdentityError extends GatehouseError {
  declare readonly code: IdentityErrorCode;

  // biome-ignore lint/complexity/noUselessConstructor: it narrows `code` to the identity codes
  constructor(code: IdentityErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
