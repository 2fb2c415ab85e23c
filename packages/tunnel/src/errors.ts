import { type ErrorCode, GatehouseError } from '@gatehouse/common';

/** Malformed or out-of-protocol input from a tunnel peer. The only error the codec throws. */
export class TunnelProtocolError extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super('GH_ERR_TUNNEL_PROTOCOL', message, options);
  }
}

/** Any other tunnel failure: closed connection, reset or rejected stream, timeout, heartbeat. */
export class TunnelError extends GatehouseError {
  /** The code the peer sent, for rejects, resets and failed requests. */
  readonly remoteCode: string | undefined;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { remoteCode?: string }) {
    super(code, message, options);
    this.remoteCode = options?.remoteCode;
  }
}
