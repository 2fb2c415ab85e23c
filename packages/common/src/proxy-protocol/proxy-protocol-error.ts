import { GatehouseError } from '../errors.js';

/** A malformed or unacceptable PROXY protocol header. */
export class ProxyProtocolError extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super('GH_ERR_PROXY_PROTOCOL', message, options);
  }
}
