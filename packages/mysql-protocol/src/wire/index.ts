// Public surface of mysql/wire: buffers, framing, constants and the generic OK/ERR/EOF packets.
//
// API for the other mysql/* areas (all errors are MysqlProtocolError, code GH_ERR_MYSQL_PROTOCOL,
// or its subclass MysqlPacketTooLargeError, code GH_ERR_MYSQL_PACKET_TOO_LARGE):
//
//   BufferReader   new BufferReader(buf?, start?, end?); reset(buf, start, end) / release();
//                  u8 u16 u24 u32 u64(bigint) u64Number i8 i16 i32 i64 f32 f64; lenencInt() (number,
//                  0xFB/0xFF throw) lenencUint() (number | bigint) lenencLengthOrNull() (-1 = NULL);
//                  bytes(n) nulBytes() nulBytesOrRest() lenencBytes() lenencBytesOrNull() restBytes()
//                  (views); fixedString(n) nulString() lenencString() lenencStringOrNull() restString();
//                  skip(n) need(n) peekU8() remaining offset end.
//   BufferWriter   same encodings as chainable writers, plus fill(n), patchU8/patchU24;
//                  view() (valid until the next write), flush() (a stable view; later writes go
//                  after it, so many small packets share one allocation), reset().
//   Framing        One framer, PacketScanner(handler, { maxPacketSize }).scan(chunk): boundaries only, for relays;
//                  handler.onFrame(seq, len, isContinuation) / onPrefix(buf, start, end, complete) /
//                  onPayload(buf, start, end) / onPacketEnd(len, frames); set scanner.prefixLength
//                  (in onFrame) to get the first N bytes of each packet contiguously.
//                  PacketParser({ maxPacketSize }).push(chunk, (payload, seq, frames) => …) is that
//                  scanner asked for whole payloads: logical packets, payload valid only during the
//                  callback; expectSequence(id), lastSequenceId.
//                  serializePacket(payload, seq) -> Buffer; framePacket(payload, seq, out[]) -> next
//                  seq (zero-copy, for writev); beginPacket(writer) / finishPacket(writer, at, seq)
//                  -> next seq; countFrames, nextSequenceId, writePacketHeader; SequenceTracker.
//   Compression    CompressedPacketReader({ maxPacketSize }).push(chunk, (plain, compressedSeq) => …):
//                  the compressed layer (CLIENT_COMPRESS) undone, plain bytes out, checked by the
//                  one framer; CompressedPacketWriter({ level }).write(plain, out[]) frames plain
//                  bytes as compressed packets (writer.sequenceId is the next compressed id).
//   Constants      Command, SetOption, PacketHeader, ServerStatus, ColumnType, ColumnFlag,
//                  SessionTrack, Capability, MariaDbCapability, CLIENT_MYSQL, hasCapability,
//                  negotiateCapabilities(server, client), ServerError.X = { errno, sqlState }.
//   Packets        parseOkPacket / writeOkPacket / serializeOkPacket (session-state changes typed),
//                  parseErrPacket (-> 'err' | 'progress') / writeErrPacket / serializeErrPacket,
//                  parseEofPacket / writeEofPacket, parseGenericPacket(payload, caps),
//                  isOkPacket / isErrPacket / isEofPacket / isEofOkPacket / isProgressPacket.
export { BufferReader, NULL_LENGTH } from './buffer-reader.js';
export { BufferWriter } from './buffer-writer.js';
export {
  Capability,
  type CapabilitySet,
  CLIENT_MYSQL,
  hasCapability,
  MariaDbCapability,
  type NegotiatedCapabilities,
  negotiateCapabilities,
} from './capabilities.js';
export {
  COMPRESSED_HEADER_SIZE,
  CompressedPacketReader,
  type CompressedPacketReaderOptions,
  type CompressedPayloadHandler,
  MAX_COMPRESSED_FRAME_PAYLOAD,
} from './compressed-packet-reader.js';
export {
  CompressedPacketWriter,
  type CompressedPacketWriterOptions,
  MIN_COMPRESS_LENGTH,
} from './compressed-packet-writer.js';
export {
  ColumnFlag,
  ColumnType,
  type ColumnTypeByte,
  Command,
  type CommandByte,
  MAX_FRAME_PAYLOAD,
  PACKET_HEADER_SIZE,
  PacketHeader,
  PROGRESS_REPORT_ERRNO,
  ServerStatus,
  SessionTrack,
  SetOption,
} from './constants.js';
export {
  type ErrFields,
  type ErrPacket,
  isProgressPacket,
  type ProgressPacket,
  parseErrPacket,
  serializeErrPacket,
  writeErrPacket,
  writeProgressPacket,
} from './err-packet.js';
export {
  type EofPacket,
  type GenericPacket,
  isEofOkPacket,
  isEofPacket,
  isErrPacket,
  isOkPacket,
  parseEofPacket,
  parseGenericPacket,
  serializeEofPacket,
  writeEofPacket,
} from './generic-packets.js';
export { type OkFields, type OkPacket, parseOkPacket, serializeOkPacket, writeOkPacket } from './ok-packet.js';
export {
  DEFAULT_MAX_PACKET_SIZE,
  type PacketHandler,
  PacketParser,
  type PacketParserOptions,
} from './packet-parser.js';
export { type PacketScanHandler, PacketScanner, type PacketScannerOptions } from './packet-scanner.js';
export {
  beginPacket,
  countFrames,
  finishPacket,
  framePacket,
  nextSequenceId,
  serializePacket,
  writePacketHeader,
} from './packet-writer.js';
export { MysqlPacketTooLargeError, MysqlProtocolError, type MysqlProtocolErrorCode } from './protocol-error.js';
export { SequenceTracker } from './sequence-tracker.js';
export { type MysqlErrorCode, ServerError } from './server-errors.js';
export { parseSessionStateChanges, type SessionStateChange, writeSessionStateChanges } from './session-state.js';
