// Where a MySQL server listens: "host:port", "[v6]:port", or a unix socket path.
import { isIP } from 'node:net';

export type MysqlAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export const DEFAULT_MYSQL_PORT = 3306;

/** Parses an address; returns undefined when the text is not one (callers word the error). */
export function parseMysqlAddress(text: string, defaultPort = DEFAULT_MYSQL_PORT): MysqlAddress | undefined {
  if (text.startsWith('/') || text.startsWith('./')) return { kind: 'unix', path: text };
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon !== text.indexOf(':')) return undefined; // a bare IPv6 address must be bracketed
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  if (host.length === 0 || /\s/.test(host)) return undefined;
  if (portText === undefined) return { kind: 'tcp', host, port: defaultPort };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { kind: 'tcp', host, port };
}

export function formatMysqlAddress(address: MysqlAddress): string {
  if (address.kind === 'unix') return address.path;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
