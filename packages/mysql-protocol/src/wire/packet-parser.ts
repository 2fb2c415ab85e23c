// The reassembling framer: turns a byte stream into logical packets. It is the boundary scanner
// (packet-scanner.ts, the one framer) asked for each packet's whole payload as its prefix.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
//
// A packet that sits whole inside a chunk is handed out as a view of that chunk, with no copy.
// Only a packet that straddles chunks, or spans several frames (payload >= 0xFFFFFF), is copied,
// once, into a buffer sized from its header. The size limit is checked from each header before a
// byte of that frame is buffered.
import { type PacketScanHandler, PacketScanner } from './packet-scanner.js';

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
const EMPTY = Buffer.alloc(0);

/** One object with methods, so the scanner calls no closure per packet. */
class WholePackets implements PacketScanHandler {
  onPacket: PacketHandler | undefined;
  private firstSequenceId = 0;
  private payload: Buffer = EMPTY;

  onFrame(sequenceId: number, _length: number, isContinuation: boolean): void {
    if (!isContinuation) this.firstSequenceId = sequenceId;
  }

  onPrefix(buf: Buffer, start: number, end: number): void {
    this.payload = buf.subarray(start, end);
  }

  onPayload(): void {}

  onPacketEnd(_length: number, frames: number): void {
    const payload = this.payload;
    this.payload = EMPTY;
    this.onPacket!(payload, this.firstSequenceId, frames);
  }
}

export class PacketParser {
  readonly maxPacketSize: number;
  private readonly handler = new WholePackets();
  private readonly scanner: PacketScanner;

  constructor(options: PacketParserOptions = {}) {
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.scanner = new PacketScanner(this.handler, { maxPacketSize: this.maxPacketSize });
    this.scanner.prefixLength = this.maxPacketSize;
  }

  /** Sequence id of the last frame header read; -1 before the first. */
  get lastSequenceId(): number {
    return this.scanner.lastSequenceId;
  }

  /** Checks ids from now on: the next frame must carry `sequenceId`, and each after it one more. */
  expectSequence(sequenceId: number): void {
    this.scanner.expectSequence(sequenceId);
  }

  /** Stops checking sequence ids. */
  ignoreSequence(): void {
    this.scanner.ignoreSequence();
  }

  /** Bytes held between calls: a partial header plus a partial packet. */
  get bufferedBytes(): number {
    return this.scanner.bufferedBytes;
  }

  /** Size of the assembly buffer (for tests and memory accounting). */
  get capacity(): number {
    return this.scanner.capacity;
  }

  /** True when no partial packet is held. */
  get idle(): boolean {
    return this.scanner.idle;
  }

  /**
   * Feeds a chunk and calls `onPacket` for each logical packet it completes, synchronously.
   * Throws MysqlProtocolError on a bad sequence id or an oversized packet; the parser is not
   * usable after a throw.
   */
  push(chunk: Buffer, onPacket: PacketHandler): void {
    this.handler.onPacket = onPacket;
    this.scanner.scan(chunk);
  }

  /** Drops any partial packet and buffers, e.g. after the stream was switched to TLS. */
  reset(): void {
    this.scanner.reset();
  }
}
