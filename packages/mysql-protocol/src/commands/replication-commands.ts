// The commands a replica sends: a gateway denies them unless the role allows replication, and
// audits what was asked for either way.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump_gtid.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_register_slave.html

import { BufferReader, BufferWriter, Command } from '../wire/index.js';
import { decodeBoundedText } from './bounded-text.js';
import type { BinlogDumpCommand, BinlogDumpGtidCommand, RegisterSlaveCommand } from './command-types.js';
import type { ParseContext } from './parse-context.js';

/** COM_BINLOG_DUMP_GTID flag: the GTID set follows the position. */
export const BINLOG_THROUGH_GTID = 0x04;

export function parseBinlogDump(payload: Buffer, ctx: ParseContext): BinlogDumpCommand {
  const r = new BufferReader(payload, 1);
  const position = r.u32();
  const flags = r.u16();
  const serverId = r.u32();
  const filename = decodeBoundedText(payload, r.offset, payload.length, ctx.limits.maxTextBytes);
  return { kind: 'binlog_dump', bytes: payload, position, flags, serverId, filename };
}

export function parseBinlogDumpGtid(payload: Buffer, ctx: ParseContext): BinlogDumpGtidCommand {
  const r = new BufferReader(payload, 1);
  const flags = r.u16();
  const serverId = r.u32();
  const name = r.bytes(r.u32());
  const position = r.u64();
  const gtidData = (flags & BINLOG_THROUGH_GTID) !== 0 ? r.bytes(r.u32()) : undefined;
  const filename = decodeBoundedText(name, 0, name.length, ctx.limits.maxTextBytes);
  return { kind: 'binlog_dump_gtid', bytes: payload, flags, serverId, filename, position, gtidData };
}

export function parseRegisterSlave(payload: Buffer, ctx: ParseContext): RegisterSlaveCommand {
  const r = new BufferReader(payload, 1);
  const max = ctx.limits.maxTextBytes;
  const serverId = r.u32();
  const host = r.bytes(r.u8());
  const user = r.bytes(r.u8());
  const password = r.bytes(r.u8());
  return {
    kind: 'register_slave',
    bytes: payload,
    serverId,
    hostname: decodeBoundedText(host, 0, host.length, max),
    user: decodeBoundedText(user, 0, user.length, max),
    password,
    port: r.u16(),
    replicationRank: r.u32(),
    masterId: r.u32(),
  };
}

export interface BinlogDumpInit {
  readonly position: number;
  readonly flags: number;
  readonly serverId: number;
  readonly filename: string;
}

export function serializeBinlogDump(init: BinlogDumpInit): Buffer {
  return new BufferWriter(64)
    .u8(Command.BinlogDump)
    .u32(init.position)
    .u16(init.flags)
    .u32(init.serverId)
    .string(init.filename)
    .flush();
}

export interface BinlogDumpGtidInit {
  readonly flags: number;
  readonly serverId: number;
  readonly filename: string;
  readonly position: bigint;
  readonly gtidData?: Uint8Array;
}

export function serializeBinlogDumpGtid(init: BinlogDumpGtidInit): Buffer {
  const name = Buffer.from(init.filename);
  const w = new BufferWriter(64).u8(Command.BinlogDumpGtid).u16(init.flags).u32(init.serverId);
  w.u32(name.length).bytes(name).u64(init.position);
  if ((init.flags & BINLOG_THROUGH_GTID) !== 0) {
    const data = init.gtidData ?? new Uint8Array(0);
    w.u32(data.length).bytes(data);
  }
  return w.flush();
}

export interface RegisterSlaveInit {
  readonly serverId: number;
  readonly hostname: string;
  readonly user: string;
  readonly password: Uint8Array;
  readonly port: number;
  readonly replicationRank: number;
  readonly masterId: number;
}

export function serializeRegisterSlave(init: RegisterSlaveInit): Buffer {
  const host = Buffer.from(init.hostname);
  const user = Buffer.from(init.user);
  return new BufferWriter(64)
    .u8(Command.RegisterSlave)
    .u32(init.serverId)
    .u8(host.length)
    .bytes(host)
    .u8(user.length)
    .bytes(user)
    .u8(init.password.length)
    .bytes(init.password)
    .u16(init.port)
    .u32(init.replicationRank)
    .u32(init.masterId)
    .flush();
}
