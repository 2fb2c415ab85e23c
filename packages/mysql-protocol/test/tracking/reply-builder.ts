// Builds server reply streams for tracker tests: each method appends one logical packet (split
// into frames past 16 MiB) with the next sequence id, and records where each packet ends.
import { BufferWriter } from '../../src/wire/buffer-writer.js';
import { Capability } from '../../src/wire/capabilities.js';
import { serializeErrPacket, writeProgressPacket } from '../../src/wire/err-packet.js';
import { serializeEofPacket } from '../../src/wire/generic-packets.js';
import { type OkFields, serializeOkPacket } from '../../src/wire/ok-packet.js';
import { countFrames, serializePacket } from '../../src/wire/packet-writer.js';

export const BASE_CAPS =
  Capability.Protocol41 | Capability.Transactions | Capability.MultiResults | Capability.SecureConnection;

export class ReplyBuilder {
  readonly capabilities: number;
  private readonly parts: Buffer[] = [];
  private seq = 1;
  private length = 0;

  constructor(capabilities: number) {
    this.capabilities = capabilities;
  }

  get deprecateEof(): boolean {
    return (this.capabilities & Capability.DeprecateEof) !== 0;
  }

  /** Bytes so far: where the next packet starts. */
  get offset(): number {
    return this.length;
  }

  /** A new reply: sequence ids restart at 1 (the command was 0). */
  reply(): this {
    this.seq = 1;
    return this;
  }

  packet(payload: Uint8Array): this {
    const framed = serializePacket(payload, this.seq);
    this.seq = (this.seq + countFrames(payload.length)) & 0xff;
    this.parts.push(framed);
    this.length += framed.length;
    return this;
  }

  ok(fields: OkFields = {}): this {
    return this.packet(serializeOkPacket(fields, this.capabilities));
  }

  err(errno: number, message: string, sqlState = 'HY000'): this {
    return this.packet(serializeErrPacket({ errno, sqlState, message }, this.capabilities));
  }

  progress(stage: number, maxStage: number, percent: number, info: string): this {
    const w = new BufferWriter(32);
    writeProgressPacket(w, stage, maxStage, percent, info);
    return this.packet(w.flush());
  }

  eof(statusFlags = 0x0002, warnings = 0): this {
    return this.packet(serializeEofPacket(warnings, statusFlags, this.capabilities));
  }

  /** The end of rows: EOF, or an OK with the 0xFE header under CLIENT_DEPRECATE_EOF. */
  terminator(statusFlags = 0x0002, warnings = 0): this {
    if (this.deprecateEof) return this.ok({ header: 0xfe, statusFlags, warnings });
    return this.eof(statusFlags, warnings);
  }

  /** EOF after column definitions; omitted under CLIENT_DEPRECATE_EOF. */
  metadataEnd(statusFlags = 0x0002): this {
    return this.deprecateEof ? this : this.eof(statusFlags);
  }

  columnCount(n: number, metadataFlag?: 0 | 1): this {
    const w = new BufferWriter(16);
    w.lenencInt(n);
    if (metadataFlag !== undefined) w.u8(metadataFlag);
    return this.packet(w.flush());
  }

  columnDef(name: string, type = 0xfd): this {
    const w = new BufferWriter(64);
    for (const s of ['def', 'db', 't', 't', name, name]) w.lenencString(s);
    w.lenencInt(0x0c).u16(33).u32(255).u8(type).u16(0).u8(0).u16(0);
    return this.packet(w.flush());
  }

  /** Column count, definitions and the metadata EOF. */
  columns(n: number): this {
    this.columnCount(n);
    for (let i = 0; i < n; i++) this.columnDef(`c${i}`);
    return this.metadataEnd();
  }

  /** A text row; null is SQL NULL (0xFB). */
  textRow(...values: (string | Uint8Array | null)[]): this {
    const w = new BufferWriter(64);
    for (const v of values) {
      if (v === null) w.u8(0xfb);
      else if (typeof v === 'string') w.lenencString(v);
      else w.lenencBytes(v);
    }
    return this.packet(w.flush());
  }

  /** A binary row of one BIGINT column. */
  binaryRow(value: number): this {
    const w = new BufferWriter(16);
    w.u8(0x00).u8(0x00).u32(value).u32(0);
    return this.packet(w.flush());
  }

  prepareOk(statementId: number, columns: number, params: number, warnings = 0): this {
    const w = new BufferWriter(16);
    w.u8(0).u32(statementId).u16(columns).u16(params).u8(0).u16(warnings);
    return this.packet(w.flush());
  }

  infileRequest(filename: string): this {
    const w = new BufferWriter(16);
    w.u8(0xfb).string(filename);
    return this.packet(w.flush());
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A client command packet (sequence id 0). */
export function commandPacket(command: number, ...rest: number[]): Buffer {
  return serializePacket(Uint8Array.from([command, ...rest]), 0);
}
