// PROXY protocol headers toward a database (`databases[].send_proxy_protocol`), so that a
// MariaDB with `proxy_protocol_networks` sees the person's address in its grants, processlist
// and logs instead of the engine's.
// https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
import { isIP } from 'node:net';
import type { DatabaseConfig } from '@gatehouse/common';
import {
  serializeProxyHeaderV1,
  serializeProxyHeaderV2,
  serializeProxyHeaderV2Local,
} from '@gatehouse/common/proxy-protocol';
import type { MysqlAddress } from '@gatehouse/mysql-protocol';

/** v1 has no LOCAL command; UNKNOWN tells the server to keep the socket's own address. */
const V1_UNKNOWN = Buffer.from('PROXY UNKNOWN\r\n', 'latin1');

/** The header for a session: the client's address and port, the backend's as the destination. */
export function sessionProxyHeader(
  db: DatabaseConfig,
  client: { readonly host: string; readonly port: number },
  backend: MysqlAddress,
): Buffer | undefined {
  if (db.send_proxy_protocol === undefined) return undefined;
  const family = isIP(client.host);
  // A unix-socket backend or a client without an IP address (in-process tests): say nothing
  // about the source, as for the monitor's own connections.
  if (backend.kind !== 'tcp' || family === 0) return localProxyHeader(db);
  const destination = isIP(backend.host) === family ? backend.host : family === 4 ? '0.0.0.0' : '::';
  return db.send_proxy_protocol === 'v1'
    ? serializeProxyHeaderV1(client.host, client.port, destination, backend.port)
    : serializeProxyHeaderV2(client.host, client.port, destination, backend.port);
}

/** The header for the engine's own connections (monitor checks). */
export function localProxyHeader(db: DatabaseConfig): Buffer | undefined {
  if (db.send_proxy_protocol === undefined) return undefined;
  return db.send_proxy_protocol === 'v1' ? V1_UNKNOWN : serializeProxyHeaderV2Local();
}
