// Readers for the server packets whose contents the tracker needs, beyond the generic OK/ERR/EOF
// of mysql/wire: the column count, COM_STMT_PREPARE_OK and the LOCAL INFILE request. They run
// once per result, never per row. A packet may arrive as a prefix only (the tracker keeps at most
// a few KiB of each); `complete` says whether the view holds all of it.
// https://mariadb.com/kb/en/result-set-packets/ https://mariadb.com/kb/en/com_stmt_prepare/
// https://mariadb.com/kb/en/load-data-infile/
import { BufferReader } from '../wire/buffer-reader.js';
import { Capability } from '../wire/capabilities.js';
import { type ErrPacket, type ProgressPacket, parseErrPacket } from '../wire/err-packet.js';
import { parseEofPacket } from '../wire/generic-packets.js';
import { parseOkPacket } from '../wire/ok-packet.js';

const reader = new BufferReader();

export interface StatusFields {
  statusFlags: number;
  warnings: number;
}

export interface OkSummary extends StatusFields {
  affectedRows: number | bigint;
  lastInsertId: number | bigint;
  info: string;
}

export interface PrepareOkFields {
  statementId: number;
  columnCount: number;
  paramCount: number;
  warnings: number;
}

/** An OK packet (0x00, or 0xFE ending rows under CLIENT_DEPRECATE_EOF). */
export function readOkSummary(
  b: Buffer,
  start: number,
  end: number,
  complete: boolean,
  capabilities: number,
): OkSummary {
  if (complete) {
    const ok = parseOkPacket(b.subarray(start, end), capabilities);
    return {
      affectedRows: ok.affectedRows,
      lastInsertId: ok.lastInsertId,
      statusFlags: ok.statusFlags,
      warnings: ok.warnings,
      info: ok.info,
    };
  }
  // Only a prefix: the fixed fields are at the front; the info and session state are dropped.
  const r = reader.reset(b, start + 1, end);
  const affectedRows = r.lenencUint();
  const lastInsertId = r.lenencUint();
  const statusFlags = r.u16();
  const warnings = r.u16();
  r.release();
  return { affectedRows, lastInsertId, statusFlags, warnings, info: '' };
}

/** An EOF packet: status flags and warnings. */
export function readEofStatus(b: Buffer, start: number, end: number, capabilities: number): StatusFields {
  const eof = parseEofPacket(b.subarray(start, end), capabilities);
  return { statusFlags: eof.statusFlags, warnings: eof.warnings };
}

/** The terminator of rows: an EOF, or an OK with the 0xFE header under CLIENT_DEPRECATE_EOF. */
export function readTerminator(
  b: Buffer,
  start: number,
  end: number,
  complete: boolean,
  capabilities: number,
): StatusFields {
  if ((capabilities & Capability.DeprecateEof) === 0) return readEofStatus(b, start, end, capabilities);
  return readOkSummary(b, start, end, complete, capabilities);
}

export function readErrOrProgress(
  b: Buffer,
  start: number,
  end: number,
  capabilities: number,
): ErrPacket | ProgressPacket {
  return parseErrPacket(b.subarray(start, end), capabilities);
}

/**
 * The column count; with MARIADB_CLIENT_CACHE_METADATA or CLIENT_OPTIONAL_RESULTSET_METADATA a
 * byte after it says whether the column definitions follow (0: the client has them cached).
 */
export function readColumnCount(
  b: Buffer,
  start: number,
  end: number,
  metadataFlag: boolean,
): { count: number; metadataFollows: boolean } {
  const r = reader.reset(b, start, end);
  const count = r.lenencInt();
  const metadataFollows = !metadataFlag || r.remaining === 0 || r.u8() !== 0;
  r.release();
  return { count, metadataFollows };
}

/** COM_STMT_PREPARE_OK: 0x00, statement id, columns, params, filler, warnings. */
export function readPrepareOk(b: Buffer, start: number, end: number): PrepareOkFields {
  const r = reader.reset(b, start + 1, end);
  const statementId = r.u32();
  const columnCount = r.u16();
  const paramCount = r.u16();
  r.skip(1);
  // Pre-4.1 servers end here; every supported server sends the warning count.
  const warnings = r.remaining >= 2 ? r.u16() : 0;
  r.release();
  return { statementId, columnCount, paramCount, warnings };
}

/** The LOCAL INFILE request: 0xFB then the file name to the end of the packet. */
export function readInfileName(b: Buffer, start: number, end: number): string {
  return b.toString('utf8', start + 1, end);
}
