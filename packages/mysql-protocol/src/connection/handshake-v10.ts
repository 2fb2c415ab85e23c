// The server's greeting. https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html
// MariaDB puts its extended capabilities in the last 4 of the 10 reserved bytes when it clears
// CLIENT_MYSQL (bit 0): https://mariadb.com/kb/en/connection/#initial-handshake-packet
import { BufferReader } from '../wire/buffer-reader.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import { Capability, CLIENT_MYSQL, hasCapability } from '../wire/capabilities.js';
import { MysqlProtocolError } from '../wire/protocol-error.js';

export const PROTOCOL_VERSION_10 = 10;
/** MariaDB 10.x prefixes its version so MySQL replicas of old accept it. */
export const MARIADB_VERSION_PREFIX = '5.5.5-';
const SCRAMBLE_PART1 = 8;
const RESERVED = 10;

export interface HandshakeV10 {
  readonly kind: 'handshake-v10';
  readonly protocolVersion: number;
  /** Verbatim, including MariaDB's `5.5.5-` prefix. */
  readonly serverVersion: string;
  readonly connectionId: number;
  /** The nonce, without the trailing NUL of part 2 (normally 20 bytes). */
  readonly authPluginData: Buffer;
  /** Unsigned 32-bit CLIENT_* set. */
  readonly capabilities: number;
  /** MariaDB extended capabilities; 0 when CLIENT_MYSQL is set. */
  readonly mariaDbCapabilities: number;
  readonly characterSet: number;
  readonly statusFlags: number;
  /** Empty when the server does not announce CLIENT_PLUGIN_AUTH. */
  readonly authPluginName: string;
  readonly bytes: Buffer;
}

/** `5.5.5-10.11.6-MariaDB` → `10.11.6-MariaDB`; other versions unchanged. */
export function stripMariaDbVersionPrefix(version: string): string {
  return version.startsWith(MARIADB_VERSION_PREFIX) && /mariadb/i.test(version)
    ? version.slice(MARIADB_VERSION_PREFIX.length)
    : version;
}

export function parseHandshakeV10(payload: Buffer): HandshakeV10 {
  const r = new BufferReader(payload);
  const protocolVersion = r.u8();
  if (protocolVersion !== PROTOCOL_VERSION_10) {
    throw new MysqlProtocolError(`unsupported MySQL handshake protocol version ${protocolVersion} (expected 10)`);
  }
  const serverVersion = r.nulString();
  const connectionId = r.u32();
  const part1 = r.bytes(SCRAMBLE_PART1);
  r.skip(1); // filler
  let capabilities = r.u16();
  let characterSet = 0;
  let statusFlags = 0;
  let authDataLength = 0;
  let mariaDbCapabilities = 0;
  let part2: Buffer = Buffer.alloc(0);
  let authPluginName = '';
  // A pre-4.1 server may stop after the lower capability flags.
  if (r.remaining > 0) {
    characterSet = r.u8();
    statusFlags = r.u16();
    capabilities = (capabilities | (r.u16() << 16)) >>> 0;
    authDataLength = r.u8();
    r.need(RESERVED);
    r.skip(6);
    const extended = r.u32();
    if (!hasCapability(capabilities, CLIENT_MYSQL)) mariaDbCapabilities = extended;
    if (hasCapability(capabilities, Capability.SecureConnection)) {
      // Part 2 is max(13, length - 8) bytes, the last a NUL that is not part of the nonce.
      const length = Math.max(13, authDataLength - SCRAMBLE_PART1);
      const raw = r.bytes(Math.min(length, r.remaining));
      part2 = raw.length > 0 && raw[raw.length - 1] === 0 ? raw.subarray(0, raw.length - 1) : raw;
    }
    if (hasCapability(capabilities, Capability.PluginAuth)) {
      // MySQL 5.5.7–5.5.9 forgot the terminating NUL.
      authPluginName = r.nulBytesOrRest().toString('utf8');
    }
  }
  return {
    kind: 'handshake-v10',
    protocolVersion,
    serverVersion,
    connectionId,
    authPluginData: Buffer.concat([part1, part2]),
    capabilities,
    mariaDbCapabilities,
    characterSet,
    statusFlags,
    authPluginName,
    bytes: payload,
  };
}

export interface HandshakeV10Fields {
  readonly serverVersion: string;
  readonly connectionId: number;
  /** At least 8 bytes; 20 for every modern plugin. */
  readonly authPluginData: Uint8Array;
  readonly capabilities: number;
  readonly mariaDbCapabilities?: number;
  readonly characterSet: number;
  readonly statusFlags: number;
  readonly authPluginName: string;
}

export function serializeHandshakeV10(fields: HandshakeV10Fields, writer = new BufferWriter(128)): Buffer {
  const data = fields.authPluginData;
  if (data.length < SCRAMBLE_PART1) throw new RangeError('auth plugin data must be at least 8 bytes');
  const caps = fields.capabilities >>> 0;
  writer
    .u8(PROTOCOL_VERSION_10)
    .nulString(fields.serverVersion)
    .u32(fields.connectionId >>> 0)
    .bytes(data.subarray(0, SCRAMBLE_PART1))
    .u8(0)
    .u16(caps & 0xffff)
    .u8(fields.characterSet)
    .u16(fields.statusFlags)
    .u16(caps >>> 16)
    .u8(hasCapability(caps, Capability.PluginAuth) ? data.length + 1 : 0)
    .fill(6)
    .u32(hasCapability(caps, CLIENT_MYSQL) ? 0 : (fields.mariaDbCapabilities ?? 0) >>> 0);
  if (hasCapability(caps, Capability.SecureConnection)) {
    const part2 = data.subarray(SCRAMBLE_PART1);
    writer.bytes(part2).fill(Math.max(13, part2.length + 1) - part2.length);
  }
  if (hasCapability(caps, Capability.PluginAuth)) writer.nulString(fields.authPluginName);
  return writer.flush();
}
