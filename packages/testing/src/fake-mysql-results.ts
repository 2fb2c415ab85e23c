// Encodes the fake server's canned answers: OK, ERR, or a text result set of string columns.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html
import {
  BufferWriter,
  beginPacket,
  ColumnType,
  finishPacket,
  ServerStatus,
  writeEofPacket,
  writeErrPacket,
  writeOkPacket,
} from '@gatehouse/mysql-protocol';

export type FakeResponse =
  | { readonly kind: 'ok'; readonly affectedRows?: number; readonly lastInsertId?: number; readonly info?: string }
  | { readonly kind: 'err'; readonly errno: number; readonly sqlState?: string; readonly message: string }
  | {
      readonly kind: 'rows';
      readonly columns: readonly string[];
      readonly rows: readonly (readonly (string | null)[])[];
    }
  /** Payloads sent as they are (framed from sequence id 1): replies no real server sends. */
  | { readonly kind: 'raw'; readonly payloads: readonly Buffer[] };

const UTF8MB4 = 45;

/** The whole response to one command, framed from sequence id 1. */
export function encodeFakeResponse(response: FakeResponse, caps: number, deprecateEof: boolean): Buffer {
  const w = new BufferWriter(256);
  let seq = 1;
  const status = ServerStatus.Autocommit;
  if (response.kind === 'raw') {
    for (const payload of response.payloads) {
      const at = beginPacket(w);
      w.bytes(payload);
      seq = finishPacket(w, at, seq);
    }
    return w.flush();
  }
  let at = beginPacket(w);
  if (response.kind === 'ok') {
    const { affectedRows = 0, lastInsertId = 0, info = '' } = response;
    writeOkPacket(w, { affectedRows, lastInsertId, info, statusFlags: status }, caps);
    finishPacket(w, at, seq);
    return w.flush();
  }
  if (response.kind === 'err') {
    const { errno, message, sqlState } = response;
    writeErrPacket(w, { errno, message, ...(sqlState ? { sqlState } : {}) }, caps);
    finishPacket(w, at, seq);
    return w.flush();
  }
  w.lenencInt(response.columns.length);
  seq = finishPacket(w, at, seq);
  for (const name of response.columns) {
    at = beginPacket(w);
    w.lenencString('def').lenencString('').lenencString('').lenencString('').lenencString(name).lenencString(name);
    w.lenencInt(0x0c).u16(UTF8MB4).u32(1024).u8(ColumnType.VarString).u16(0).u8(0).u16(0);
    seq = finishPacket(w, at, seq);
  }
  if (!deprecateEof) {
    at = beginPacket(w);
    writeEofPacket(w, 0, status, caps);
    seq = finishPacket(w, at, seq);
  }
  for (const row of response.rows) {
    at = beginPacket(w);
    for (const cell of row) {
      if (cell === null) w.lenencNull();
      else w.lenencString(cell);
    }
    seq = finishPacket(w, at, seq);
  }
  at = beginPacket(w);
  if (deprecateEof) writeOkPacket(w, { header: 0xfe, statusFlags: status }, caps);
  else writeEofPacket(w, 0, status, caps);
  finishPacket(w, at, seq);
  return w.flush();
}
