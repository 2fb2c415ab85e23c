// The generic response packets (OK, ERR, EOF) and how to tell them apart.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_response_packets.html
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { Capability } from './capabilities.js';
import { MAX_FRAME_PAYLOAD, PacketHeader } from './constants.js';
import { type ErrPacket, type ProgressPacket, parseErrPacket } from './err-packet.js';
import { type OkPacket, parseOkPacket } from './ok-packet.js';
import { MysqlProtocolError } from './protocol-error.js';

export interface EofPacket {
  readonly kind: 'eof';
  readonly bytes: Buffer;
  readonly warnings: number;
  readonly statusFlags: number;
}

export type GenericPacket = OkPacket | ErrPacket | ProgressPacket | EofPacket;

/** An EOF payload: 0xFE and shorter than 9 bytes (a longer 0xFE payload is a row or an OK). */
export function isEofPacket(payload: Buffer): boolean {
  return payload.length < 9 && payload.length > 0 && payload[0] === PacketHeader.Eof;
}

/**
 * A 0xFE payload that ends a result set under CLIENT_DEPRECATE_EOF: an OK packet. A row can
 * start with 0xFE too (an 8-byte length prefix), but then the payload is at least 9 bytes, and
 * the spec bounds this OK below one frame.
 */
export function isEofOkPacket(payload: Buffer): boolean {
  return payload.length > 0 && payload.length < MAX_FRAME_PAYLOAD && payload[0] === PacketHeader.Eof;
}

export function isOkPacket(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === PacketHeader.Ok;
}

export function isErrPacket(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === PacketHeader.Err;
}

export function parseEofPacket(payload: Buffer, capabilities: number): EofPacket {
  const r = new BufferReader(payload);
  const header = r.u8();
  if (header !== PacketHeader.Eof || payload.length >= 9) {
    throw new MysqlProtocolError(`expected an EOF packet, got header 0x${header.toString(16)}`);
  }
  let warnings = 0;
  let statusFlags = 0;
  if (capabilities & Capability.Protocol41) {
    warnings = r.u16();
    statusFlags = r.u16();
  }
  return { kind: 'eof', bytes: payload, warnings, statusFlags };
}

export function writeEofPacket(w: BufferWriter, warnings: number, statusFlags: number, capabilities: number): void {
  w.u8(PacketHeader.Eof);
  if (capabilities & Capability.Protocol41) w.u16(warnings).u16(statusFlags);
}

export function serializeEofPacket(warnings: number, statusFlags: number, capabilities: number): Buffer {
  const w = new BufferWriter(16);
  writeEofPacket(w, warnings, statusFlags, capabilities);
  return w.flush();
}

/**
 * Parses a payload known to be a generic response. 0xFE means EOF when shorter than 9 bytes and
 * CLIENT_DEPRECATE_EOF is off, and OK when it is on. Anything else is a protocol error.
 */
export function parseGenericPacket(payload: Buffer, capabilities: number): GenericPacket {
  const first = payload.length > 0 ? payload[0] : -1;
  if (first === PacketHeader.Ok) return parseOkPacket(payload, capabilities);
  if (first === PacketHeader.Err) return parseErrPacket(payload, capabilities);
  if (first === PacketHeader.Eof) {
    if (capabilities & Capability.DeprecateEof) {
      if (isEofOkPacket(payload)) return parseOkPacket(payload, capabilities);
    } else if (isEofPacket(payload)) {
      return parseEofPacket(payload, capabilities);
    }
  }
  throw new MysqlProtocolError(`expected OK, ERR or EOF, got ${payload.length} bytes starting 0x${first.toString(16)}`);
}
