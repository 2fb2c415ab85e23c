// COM_STMT_SEND_LONG_DATA: one chunk of a parameter's value, sent before the execute. It has no
// reply; the registry adds its length to the parameter so the execute can report it.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_send_long_data.html

import { BufferReader, BufferWriter, Command } from '../wire/index.js';
import type { StmtSendLongDataCommand } from './command-types.js';
import type { ParseContext } from './parse-context.js';

const HEADER = 7; // command byte, statement id (4), parameter id (2)

export function parseStmtSendLongData(payload: Buffer, ctx: ParseContext): StmtSendLongDataCommand {
  const r = new BufferReader(payload, 1);
  const statementId = r.u32();
  const paramId = r.u16();
  const kept = Math.min(payload.length - HEADER, ctx.limits.maxValueBytes);
  return {
    kind: 'stmt_send_long_data',
    bytes: payload,
    statementId,
    paramId,
    data: payload.subarray(HEADER, HEADER + kept),
    dataLength: ctx.payloadLength - HEADER,
  };
}

export function serializeStmtSendLongData(statementId: number, paramId: number, data: Uint8Array): Buffer {
  return new BufferWriter(HEADER + data.length)
    .u8(Command.StmtSendLongData)
    .u32(statementId)
    .u16(paramId)
    .bytes(data)
    .flush();
}
