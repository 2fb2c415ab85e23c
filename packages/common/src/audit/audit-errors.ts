import { GatehouseError } from '../errors.js';

/** An event failed its schema; `path` names the first bad field, e.g. "outcome.errno". */
export class InvalidAuditEventError extends GatehouseError {
  readonly path: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super('GH_ERR_AUDIT_INVALID_EVENT', `invalid audit event at '${path || '(root)'}': ${reason}`, options);
    this.path = path;
  }
}

export type AuditFailureCode =
  | 'GH_ERR_AUDIT_WRITE'
  | 'GH_ERR_AUDIT_CORRUPT'
  | 'GH_ERR_AUDIT_LOCKED'
  | 'GH_ERR_AUDIT_CLOSED'
  | 'GH_ERR_AUDIT_SPOOL';

/** A failure of the audit store, the spool or a sink. */
export class AuditFailure extends GatehouseError {
  // biome-ignore lint/complexity/noUselessConstructor: narrows `code` to the audit codes
  constructor(code: AuditFailureCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
