// The parts of a StreamOpenHeader the proxy puts in `extensions` (see docs/architecture.md,
// "Session streams"). A missing or ill-typed value falls back to a default rather than failing
// the session: the extensions are hints about the client, never about who it is.
import { type UnixPeer, UnixPeerSchema } from '@gatehouse/common';
import { DEFAULT_CHARACTER_SET } from '@gatehouse/mysql-protocol';
import type { StreamOpenHeader } from '@gatehouse/tunnel';

export interface SessionExtensions {
  readonly proxyId: string;
  /** The client's collation id from its HandshakeResponse. */
  readonly charset: number;
  readonly maxPacketSize: number;
  /** The auth plugin the client named; informational. */
  readonly authPlugin: string;
  /**
   * Who connected, when the client came over the proxy's unix socket. Ill-formed means absent,
   * and a role that needs it then refuses: never more access for a bad header.
   */
  readonly unixPeer: UnixPeer | undefined;
}

const DEFAULT_MAX_PACKET_SIZE = 64 * 1024 * 1024;

export function readSessionExtensions(header: StreamOpenHeader): SessionExtensions {
  const ext = header.extensions ?? {};
  const proxyId = typeof ext.proxyId === 'string' && ext.proxyId.length > 0 ? ext.proxyId.slice(0, 256) : 'unknown';
  const charset =
    typeof ext.charset === 'number' && Number.isInteger(ext.charset) && ext.charset > 0 && ext.charset < 256
      ? ext.charset
      : DEFAULT_CHARACTER_SET;
  const maxPacketSize =
    typeof ext.maxPacketSize === 'number' && Number.isInteger(ext.maxPacketSize) && ext.maxPacketSize > 0
      ? Math.min(ext.maxPacketSize, 0xffffffff)
      : DEFAULT_MAX_PACKET_SIZE;
  const authPlugin = typeof ext.authPlugin === 'string' ? ext.authPlugin.slice(0, 64) : '';
  const peer = ext.unixPeer === undefined ? undefined : UnixPeerSchema.safeParse(ext.unixPeer);
  return { proxyId, charset, maxPacketSize, authPlugin, unixPeer: peer?.success ? peer.data : undefined };
}

export function formatClientAddress(header: StreamOpenHeader): string {
  const { host, port } = header.clientAddress;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
