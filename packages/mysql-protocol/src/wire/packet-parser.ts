// The reassembling framer: turns a byte stream into logical packets.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
//
// A packet that sits whole inside a chunk is handed out as a view of that chunk, with no copy.
// Only a packet that straddles chunks, or spans several frames (payload >= 0xFFFFFF), is copied,
// once, into an assembly buffer sized from its header. The size limit is checked from each
// header before a byte of that frame is buffered.
import { MAX_FRAME_PAYLOAD } from './constants.js';
import { MysqlPacketTooLargeError, MysqlProtocolError } from './protocol-error.js';

/**
 * Receives one logical packet. `payload` is a view that is valid only during the call: the
 * chunk or assembly buffer behind it is reused or released afterwards. Copy what must outlive it.
 */
export type PacketHandler = (payload: Buffer, sequenceId: number, frames: number) => void;

export interface PacketParserOptions {
  /** Largest logical payload accepted, in bytes. Default: 64 MiB (MySQL's max_allowed_packet default). */
  maxPacketSize?: number;
}

export const DEFAULT_MAX_PACKET_SIZE = 64 * 1024 * 1024;
/**
 * An assembly buffer up to this size is kept for the next straddling packet; larger ones are let
 * go, so an idle session holds little (the design budget is 64 KiB per idle session).
 */
const RETAIN_BYTES = 4 * 1024;
const EMPTY = Buffer.alloc(0);

export class PacketParser {
  readonly maxPacketSize: number;
  /** Sequence id of the last frame header read; -1 before the first. */
  lastSequenceId = -1;
  /** When >= 0, the id the next frame must carry; a mismatch throws. Set it with `expectSequence`. */
  private expected = -1;

  private readonly header = Buffer.alloc(4);
  private headerLength = 0;
  private assembly: Buffer = EMPTY;
  private assembled = 0;
  /** Bytes of the current frame still to be copied into the assembly buffer; -1 between frames. */
  private frameRemaining = -1;
  private frameFull = false;
  private assembling = false;
  private firstSequenceId = 0;
  private frames = 0;

  constructor(options: PacketParserOptions = {}) {
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  }

  /** Checks ids from now on: the next frame must carry `sequenceId`, and each after it one more. */
  expectSequence(sequenceId: number): void {
    this.expected = sequenceId & 0xff;
  }

  /** Stops checking sequence ids. */
  ignoreSequence(): void {
    this.expected = -1;
  }

  /** Bytes held between calls: a partial header plus a partial packet. */
  get bufferedBytes(): number {
    return this.headerLength + (this.assembling ? this.assembled : 0);
  }

  /** Size of the assembly buffer (for tests and memory accounting). */
  get capacity(): number {
    return this.assembly.length;
  }

  /** True when no partial packet is held. */
  get idle(): boolean {
    return this.headerLength === 0 && !this.assembling;
  }

  /**
   * Feeds a chunk and calls `onPacket` for each logical packet it completes, synchronously.
   * Throws MysqlProtocolError on a bad sequence id or an oversized packet; the parser is not
   * usable after a throw.
   */
  push(chunk: Buffer, onPacket: PacketHandler): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.frameRemaining >= 0) {
        const n = Math.min(this.frameRemaining, end - pos);
        chunk.copy(this.assembly, this.assembled, pos, pos + n);
        this.assembled += n;
        this.frameRemaining -= n;
        pos += n;
        if (this.frameRemaining > 0) return;
        this.finishFrame(onPacket);
        continue;
      }
      let length: number;
      let seq: number;
      if (this.headerLength === 0 && end - pos >= 4) {
        length = chunk[pos]! | (chunk[pos + 1]! << 8) | (chunk[pos + 2]! << 16);
        seq = chunk[pos + 3]!;
        pos += 4;
      } else {
        const h = this.header;
        while (this.headerLength < 4 && pos < end) h[this.headerLength++] = chunk[pos++]!;
        if (this.headerLength < 4) return;
        this.headerLength = 0;
        length = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        seq = h[3]!;
      }
      this.checkHeader(length, seq);
      if (!this.assembling && length < MAX_FRAME_PAYLOAD && end - pos >= length) {
        const start = pos;
        pos += length;
        onPacket(chunk.subarray(start, pos), seq, 1);
        continue;
      }
      if (!this.assembling) {
        this.assembling = true;
        this.firstSequenceId = seq;
        this.frames = 0;
        this.assembled = 0;
      }
      this.frames++;
      this.frameFull = length === MAX_FRAME_PAYLOAD;
      this.reserve(this.assembled + length);
      this.frameRemaining = length;
      if (length === 0) this.finishFrame(onPacket);
    }
  }

  /** Drops any partial packet and buffers, e.g. after the stream was switched to TLS. */
  reset(): void {
    this.headerLength = 0;
    this.assembly = EMPTY;
    this.assembled = 0;
    this.frameRemaining = -1;
    this.assembling = false;
    this.frames = 0;
  }

  private checkHeader(length: number, seq: number): void {
    if (this.expected >= 0) {
      if (seq !== this.expected) {
        throw new MysqlProtocolError(`MySQL packet out of order: sequence id ${seq}, expected ${this.expected}`);
      }
      this.expected = (seq + 1) & 0xff;
    }
    this.lastSequenceId = seq;
    const total = (this.assembling ? this.assembled : 0) + length;
    if (total > this.maxPacketSize) throw new MysqlPacketTooLargeError(total, this.maxPacketSize);
  }

  private finishFrame(onPacket: PacketHandler): void {
    this.frameRemaining = -1;
    if (this.frameFull) return;
    const length = this.assembled;
    this.assembling = false;
    this.assembled = 0;
    const payload = this.assembly.subarray(0, length);
    if (this.assembly.length > RETAIN_BYTES) this.assembly = EMPTY;
    onPacket(payload, this.firstSequenceId, this.frames);
  }

  private reserve(size: number): void {
    if (size <= this.assembly.length) return;
    // A single frame gets exactly its size; a multi-frame packet doubles, bounded by the limit.
    const doubled = Math.min(this.assembly.length * 2, this.maxPacketSize);
    const next = Buffer.allocUnsafe(Math.max(size, doubled, 256));
    this.assembly.copy(next, 0, 0, this.assembled);
    this.assembly = next;
  }
}
