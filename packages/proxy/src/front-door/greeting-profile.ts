// What the proxy announces in HandshakeV10 before it knows which database the client wants
// (the route is in the client certificate, which arrives after TLS). So the greeting describes
// every database the proxy can reach: their common version and the capabilities all of them have.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html

import { Capability, CLIENT_MYSQL, FORWARDABLE_CAPABILITIES } from '@gatehouse/mysql-protocol';
import type { DatabaseInfo } from '@gatehouse/tunnel';

/** Announced when no database has reported a version and no override is configured. */
export const DEFAULT_SERVER_VERSION = '8.0.36-Gatehouse';

/**
 * The connection phase is the proxy's own business, whatever the backends support; so is
 * compression on the client leg, which the proxy takes off itself (createCompressedStream).
 */
export const GATEWAY_CAPABILITIES =
  Capability.Compress |
  Capability.Protocol41 |
  Capability.SecureConnection |
  Capability.PluginAuth |
  Capability.PluginAuthLenencClientData |
  Capability.ConnectAttrs |
  Capability.ConnectWithDb |
  Capability.Ssl;

/**
 * Command-phase capabilities the gateway relays faithfully; each is announced only when every
 * database has it, since both legs must agree on anything that changes the wire format.
 * Compression is not among them: it is the proxy's own (GATEWAY_CAPABILITIES), whatever the
 * database leg does.
 */
export const RELAYED_CAPABILITIES = FORWARDABLE_CAPABILITIES;

/** Used when no database is registered yet: what MySQL 5.7+ and MariaDB 10.x both have. */
const FALLBACK_RELAYED =
  Capability.FoundRows |
  Capability.LongFlag |
  Capability.LocalFiles |
  Capability.IgnoreSpace |
  Capability.Interactive |
  Capability.IgnoreSigpipe |
  Capability.Transactions |
  Capability.MultiStatements |
  Capability.MultiResults |
  Capability.PsMultiResults |
  Capability.CanHandleExpiredPasswords |
  Capability.SessionTrack |
  Capability.DeprecateEof;

export interface GreetingProfile {
  readonly serverVersion: string;
  readonly capabilities: number;
  /** MariaDB extended capabilities; announced only when every database is MariaDB. */
  readonly mariaDbCapabilities: number;
}

/**
 * The version to announce, in this order: the configured override; the version every healthy
 * database reports; the most common one among healthy databases (then among all), ties broken
 * by the lexically greatest; DEFAULT_SERVER_VERSION when none has reported yet.
 */
export function chooseServerVersion(databases: readonly DatabaseInfo[], override: string): string {
  if (override !== '') return override;
  const healthy = databases.filter((d) => d.health === 'healthy' && d.serverVersion !== '');
  const pool = healthy.length > 0 ? healthy : databases.filter((d) => d.serverVersion !== '');
  if (pool.length === 0) return DEFAULT_SERVER_VERSION;
  const counts = new Map<string, number>();
  for (const db of pool) counts.set(db.serverVersion, (counts.get(db.serverVersion) ?? 0) + 1);
  let best = '';
  let bestCount = 0;
  for (const [version, count] of counts) {
    if (count > bestCount || (count === bestCount && version > best)) {
      best = version;
      bestCount = count;
    }
  }
  return best;
}

/** Capabilities every database (the healthy ones when there are any) supports, plus the gateway's own. */
export function chooseGreetingProfile(databases: readonly DatabaseInfo[], override: string): GreetingProfile {
  const healthy = databases.filter((d) => d.health === 'healthy');
  const pool = healthy.length > 0 ? healthy : databases;
  let relayed = pool.length === 0 ? FALLBACK_RELAYED : RELAYED_CAPABILITIES;
  let allMariaDb = pool.length > 0;
  let mariaDb = 0xffffffff;
  for (const db of pool) {
    relayed &= db.capabilities;
    if ((db.capabilities & CLIENT_MYSQL) !== 0) allMariaDb = false;
    mariaDb &= db.mariadbCapabilities;
  }
  // A MariaDB server clears CLIENT_MYSQL to say "read my extended capabilities"; a MySQL-style
  // greeting sets it (as CLIENT_LONG_PASSWORD) and the extended bytes mean nothing.
  const capabilities =
    (GATEWAY_CAPABILITIES | (relayed & RELAYED_CAPABILITIES) | (allMariaDb ? 0 : CLIENT_MYSQL)) >>> 0;
  return {
    serverVersion: chooseServerVersion(databases, override),
    capabilities,
    mariaDbCapabilities: allMariaDb ? mariaDb >>> 0 : 0,
  };
}
