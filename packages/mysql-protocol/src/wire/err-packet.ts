// ERR_Packet, and MariaDB's progress report, which travels in the same shape with errno 0xFFFF.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_err_packet.html
// https://mariadb.com/kb/en/progress-reporting/
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { Capability } from './capabilities.js';
import { PacketHeader, PROGRESS_REPORT_ERRNO } from './constants.js';
import { MysqlProtocolError } from './protocol-error.js';

export interface ErrPacket {
  readonly kind: 'err';
  readonly bytes: Buffer;
  readonly errno: number;
  /** Five characters; 'HY000' when the packet had no '#' marker. */
  readonly sqlState: string;
  readonly message: string;
}

export interface ProgressPacket {
  readonly kind: 'progress';
  readonly bytes: Buffer;
  readonly stage: number;
  readonly maxStage: number;
  /** Percent done within the stage (the wire carries thousandths of a percent). */
  readonly progress: number;
  readonly info: string;
}

export interface ErrFields {
  errno: number;
  sqlState?: string;
  message: string;
}

const DEFAULT_SQL_STATE = 'HY000';

/** True for an ERR-shaped payload that is a MariaDB progress report rather than an error. */
export function isProgressPacket(payload: Buffer): boolean {
  return payload.length >= 3 && payload[0] === PacketHeader.Err && payload[1] === 0xff && payload[2] === 0xff;
}

/** Parses an ERR payload; a MariaDB progress report comes back as kind 'progress'. */
export function parseErrPacket(payload: Buffer, capabilities: number): ErrPacket | ProgressPacket {
  const r = new BufferReader(payload);
  const header = r.u8();
  if (header !== PacketHeader.Err) {
    throw new MysqlProtocolError(`expected an ERR packet, got header 0x${header.toString(16)}`);
  }
  const errno = r.u16();
  if (errno === PROGRESS_REPORT_ERRNO) {
    r.u8(); // number of strings, unused
    const stage = r.u8();
    const maxStage = r.u8();
    const progress = r.u24() / 1000;
    const info = r.remaining > 0 ? r.lenencString() : '';
    return { kind: 'progress', bytes: payload, stage, maxStage, progress, info };
  }
  let sqlState = DEFAULT_SQL_STATE;
  // The marker is only there under CLIENT_PROTOCOL_41, and servers skip it before the handshake.
  if (capabilities & Capability.Protocol41 && r.peekU8() === 0x23 /* # */) {
    r.skip(1);
    sqlState = r.fixedString(5, 'latin1');
  }
  return { kind: 'err', bytes: payload, errno, sqlState, message: r.restString() };
}

/** Writes an ERR payload; the SQLSTATE marker is included under CLIENT_PROTOCOL_41. */
export function writeErrPacket(w: BufferWriter, fields: ErrFields, capabilities: number): void {
  w.u8(PacketHeader.Err).u16(fields.errno);
  if (capabilities & Capability.Protocol41) {
    const state = fields.sqlState ?? DEFAULT_SQL_STATE;
    if (state.length !== 5) throw new MysqlProtocolError(`SQLSTATE must be 5 characters, got '${state}'`);
    w.u8(0x23).string(state, 'latin1');
  }
  w.string(fields.message);
}

export function serializeErrPacket(fields: ErrFields, capabilities: number): Buffer {
  const w = new BufferWriter(32 + fields.message.length);
  writeErrPacket(w, fields, capabilities);
  return w.flush();
}

/** Writes a MariaDB progress report payload (for fake servers and tests). */
export function writeProgressPacket(
  w: BufferWriter,
  stage: number,
  maxStage: number,
  progress: number,
  info: string,
): void {
  w.u8(PacketHeader.Err).u16(PROGRESS_REPORT_ERRNO).u8(1).u8(stage).u8(maxStage);
  w.u24(Math.round(progress * 1000)).lenencString(info);
}
