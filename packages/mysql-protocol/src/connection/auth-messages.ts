// Server → client messages of the authentication exchange.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_switch_request.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_more_data.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_next_factor_request.html
import { BufferReader } from '../wire/buffer-reader.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import { MysqlProtocolError } from '../wire/protocol-error.js';

export const AuthPacket = {
  MoreData: 0x01, // AuthMoreData
  NextFactor: 0x02, // AuthNextFactor (MySQL 8.0.27 multi-factor)
  Switch: 0xfe, // AuthSwitchRequest
} as const;

export interface AuthSwitchRequest {
  readonly kind: 'auth-switch-request';
  readonly pluginName: string;
  /** The plugin's data as sent, e.g. a 20-byte nonce plus NUL for the SHA plugins. */
  readonly pluginData: Buffer;
  readonly bytes: Buffer;
}

export interface AuthMoreData {
  readonly kind: 'auth-more-data';
  readonly data: Buffer;
  readonly bytes: Buffer;
}

export interface AuthNextFactor {
  readonly kind: 'auth-next-factor';
  readonly pluginName: string;
  readonly pluginData: Buffer;
  readonly bytes: Buffer;
}

export function parseAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = new BufferReader(payload);
  if (r.u8() !== AuthPacket.Switch) throw new MysqlProtocolError('not an AuthSwitchRequest (expected 0xFE)');
  // A bare 0xFE is the pre-4.1 "old password" switch, which nobody may use any more.
  if (r.remaining === 0) throw new MysqlProtocolError('the server asked for the pre-4.1 old password authentication');
  const pluginName = r.nulString();
  return { kind: 'auth-switch-request', pluginName, pluginData: r.restBytes(), bytes: payload };
}

export function parseAuthMoreData(payload: Buffer): AuthMoreData {
  if (payload.length === 0 || payload[0] !== AuthPacket.MoreData) {
    throw new MysqlProtocolError('not an AuthMoreData packet (expected 0x01)');
  }
  return { kind: 'auth-more-data', data: payload.subarray(1), bytes: payload };
}

export function parseAuthNextFactor(payload: Buffer): AuthNextFactor {
  const r = new BufferReader(payload);
  if (r.u8() !== AuthPacket.NextFactor) throw new MysqlProtocolError('not an AuthNextFactor packet (expected 0x02)');
  const pluginName = r.nulString();
  return { kind: 'auth-next-factor', pluginName, pluginData: r.restBytes(), bytes: payload };
}

/** `pluginData` goes as given; the SHA plugins expect the 20-byte nonce followed by a NUL. */
export function serializeAuthSwitchRequest(
  pluginName: string,
  pluginData: Uint8Array,
  writer = new BufferWriter(64),
): Buffer {
  return writer.u8(AuthPacket.Switch).nulString(pluginName).bytes(pluginData).flush();
}

export function serializeAuthMoreData(data: Uint8Array, writer = new BufferWriter(data.length + 1)): Buffer {
  return writer.u8(AuthPacket.MoreData).bytes(data).flush();
}

export function serializeAuthNextFactor(
  pluginName: string,
  pluginData: Uint8Array,
  writer = new BufferWriter(64),
): Buffer {
  return writer.u8(AuthPacket.NextFactor).nulString(pluginName).bytes(pluginData).flush();
}
