// OK_Packet: 0x00, or 0xFE when it ends a result set under CLIENT_DEPRECATE_EOF.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { Capability } from './capabilities.js';
import { PacketHeader, ServerStatus } from './constants.js';
import { MysqlProtocolError } from './protocol-error.js';
import { parseSessionStateChanges, type SessionStateChange, writeSessionStateChanges } from './session-state.js';

export interface OkPacket {
  readonly kind: 'ok';
  /** The whole payload, as a view. */
  readonly bytes: Buffer;
  /** 0x00, or 0xFE for an OK that ends rows under CLIENT_DEPRECATE_EOF. */
  readonly header: 0x00 | 0xfe;
  /** A number, or a bigint beyond Number.MAX_SAFE_INTEGER. */
  readonly affectedRows: number | bigint;
  readonly lastInsertId: number | bigint;
  readonly statusFlags: number;
  readonly warnings: number;
  readonly info: string;
  /** Empty unless CLIENT_SESSION_TRACK is on and the server set SERVER_SESSION_STATE_CHANGED. */
  readonly sessionStateChanges: readonly SessionStateChange[];
}

export interface OkFields {
  header?: 0x00 | 0xfe;
  affectedRows?: number | bigint;
  lastInsertId?: number | bigint;
  statusFlags?: number;
  warnings?: number;
  info?: string;
  sessionStateChanges?: readonly SessionStateChange[];
}

const NO_CHANGES: readonly SessionStateChange[] = Object.freeze([]);

export function parseOkPacket(payload: Buffer, capabilities: number): OkPacket {
  const r = new BufferReader(payload);
  const header = r.u8();
  if (header !== PacketHeader.Ok && header !== PacketHeader.Eof) {
    throw new MysqlProtocolError(`expected an OK packet, got header 0x${header.toString(16)}`);
  }
  const affectedRows = r.lenencUint();
  const lastInsertId = r.lenencUint();
  let statusFlags = 0;
  let warnings = 0;
  if (capabilities & Capability.Protocol41) {
    statusFlags = r.u16();
    warnings = r.u16();
  } else if (capabilities & Capability.Transactions) {
    statusFlags = r.u16();
  }
  let info = '';
  let sessionStateChanges = NO_CHANGES;
  if (capabilities & Capability.SessionTrack) {
    // Servers omit the info string entirely when it is empty and nothing else follows.
    if (r.remaining > 0) info = r.lenencString();
    if (statusFlags & ServerStatus.SessionStateChanged && r.remaining > 0) {
      sessionStateChanges = parseSessionStateChanges(r.lenencBytes());
    }
  } else if (r.remaining > 0) {
    // The protocol page says string<EOF>, but MariaDB and MySQL servers write it length-encoded
    // (and their client libraries read it so): take the length when it spans exactly the rest.
    info = readInfo(r);
  }
  return {
    kind: 'ok',
    bytes: payload,
    header,
    affectedRows,
    lastInsertId,
    statusFlags,
    warnings,
    info,
    sessionStateChanges,
  };
}

/** Writes an OK payload (no frame header) for the given capabilities. */
export function writeOkPacket(w: BufferWriter, fields: OkFields, capabilities: number): void {
  const changes = fields.sessionStateChanges ?? NO_CHANGES;
  let status = fields.statusFlags ?? 0;
  const track = (capabilities & Capability.SessionTrack) !== 0;
  if (track && changes.length > 0) status |= ServerStatus.SessionStateChanged;
  w.u8(fields.header ?? PacketHeader.Ok)
    .lenencInt(fields.affectedRows ?? 0)
    .lenencInt(fields.lastInsertId ?? 0);
  if (capabilities & Capability.Protocol41) {
    w.u16(status).u16(fields.warnings ?? 0);
  } else if (capabilities & Capability.Transactions) {
    w.u16(status);
  }
  if (track) {
    const info = fields.info ?? '';
    if (info.length > 0 || status & ServerStatus.SessionStateChanged) w.lenencString(info);
    if (status & ServerStatus.SessionStateChanged) {
      const block = new BufferWriter(64);
      writeSessionStateChanges(block, changes);
      w.lenencBytes(block.view());
    }
  } else if (fields.info) {
    // Length-encoded, as a server sends it to a client without CLIENT_SESSION_TRACK.
    w.lenencString(fields.info);
  }
}

/** The info of an OK without session tracking: a length-encoded string, else the packet's rest. */
function readInfo(r: BufferReader): string {
  const first = r.peekU8();
  const rest = r.remaining;
  if (first < 0xfb && first === rest - 1) r.skip(1);
  else if (first === 0xfc && rest >= 3 && r.buffer.readUInt16LE(r.offset + 1) === rest - 3) r.skip(3);
  return r.restString();
}

/** An OK payload in a new buffer. */
export function serializeOkPacket(fields: OkFields, capabilities: number): Buffer {
  const w = new BufferWriter(32);
  writeOkPacket(w, fields, capabilities);
  return w.flush();
}
