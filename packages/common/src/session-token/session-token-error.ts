// Why a session token was refused. One code (GH_ERR_SESSION_TOKEN) with a reason the engine
// counts in its metrics and names in its log; the client only ever sees a generic refusal.
import { GatehouseError } from '../errors.js';

export type SessionTokenRefusal = 'malformed' | 'expired' | 'replayed' | 'unknown_key' | 'bad_signature' | 'mismatch';

export class SessionTokenError extends GatehouseError {
  readonly reason: SessionTokenRefusal;

  constructor(reason: SessionTokenRefusal, message: string, options?: ErrorOptions) {
    super('GH_ERR_SESSION_TOKEN', message, options);
    this.reason = reason;
  }
}
