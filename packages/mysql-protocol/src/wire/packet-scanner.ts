// The boundary-only framer for relays: it walks frame headers across chunks and reports them,
// without reassembling or copying payloads, so a relay can forward chunks unchanged with
// bounded memory. A caller that needs to read the start of each packet (a command byte, an
// OK/ERR/EOF, the first N bytes of a 64 MiB INSERT) sets `prefixLength`; the scanner hands out
// that many bytes contiguously: a view of the chunk when they sit in one, else a copy into one
// small buffer of at most `prefixLength` bytes.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
//
// To allocate nothing per packet, the handler is one object with methods (no closures), and
// bytes are reported as (buffer, start, end) ranges, which BufferReader.reset takes as they are.
//
// A relay that must wait before it decides about a packet (a command hook holding a command)
// returns true from onPrefix: scan() returns at once with the offset of the first byte it has
// not passed to onPayload, and the next scan() goes on from there (the caller hands it the rest
// of the chunk, a view, nothing copied). The paused packet's prefix is not handed over again;
// onPayload still sees each payload byte once, the prefix's included. (A return value, not a
// flag to read back: on the hot path that costs no load.)
import { MAX_FRAME_PAYLOAD } from './constants.js';
import { MysqlPacketTooLargeError, MysqlProtocolError } from './protocol-error.js';

export interface PacketScanHandler {
  /**
   * A frame header was read, before any of its payload. `isContinuation` is true for the second
   * and later frames of a logical packet. Setting `scanner.prefixLength` here (for a first frame)
   * decides how much of this packet `onPrefix` gets. `headerStart` is where the header sits in
   * the chunk being scanned, or -1 when it came in pieces, so a relay can forward header and
   * payload as one view of the chunk.
   */
  onFrame(sequenceId: number, length: number, isContinuation: boolean, headerStart: number): void;
  /**
   * The first min(prefixLength, packet length) payload bytes of the logical packet, contiguous in
   * `buf[start, end)` and valid only during the call. Called once per packet when prefixLength > 0,
   * as soon as the bytes are there. `complete` is true when they are the whole payload.
   * Returning true pauses the scan (see the top of this file).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that never pauses returns nothing
  onPrefix(buf: Buffer, start: number, end: number, complete: boolean): boolean | void;
  /** Payload bytes as they pass, `buf[start, end)`, valid only during the call; only when `wantPayload`. */
  onPayload(buf: Buffer, start: number, end: number): void;
  /** The logical packet ended: `length` payload bytes in `frames` frames. */
  onPacketEnd(length: number, frames: number): void;
}

export interface PacketScannerOptions {
  /** Largest logical payload accepted; checked from each header. Default: no limit (nothing is buffered). */
  maxPacketSize?: number;
}

/** A prefix buffer up to this size is kept between packets; larger ones are let go. */
const RETAIN_BYTES = 4 * 1024;
const EMPTY = Buffer.alloc(0);

export class PacketScanner {
  /** How many leading bytes of each logical packet to hand to `onPrefix`; 0 for none. */
  prefixLength = 0;
  /** Whether to call `onPayload` with every payload fragment. */
  wantPayload = false;
  /** Sequence id of the last frame header read; -1 before the first. */
  lastSequenceId = -1;
  /**
   * When set, `scan` returns at the next packet boundary with the offset it reached, so a relay
   * can stop between commands (and keep the rest of the chunk for later).
   */
  stopAtBoundary = false;
  readonly maxPacketSize: number;
  /** A prefix handed over as its packet ended asked to pause: scan returns at that boundary. */
  private pausing = false;

  private readonly handler: PacketScanHandler;
  private expected = -1;
  /**
   * A frame header that came in pieces, its bytes little-endian in one number: a 4-byte Buffer
   * per scanner would cost an idle session about 300 bytes each (two scanners per session).
   */
  private headerBits = 0;
  private headerLength = 0;
  /** Payload bytes of the current frame not yet seen; -1 between frames. */
  private frameRemaining = -1;
  private frameFull = false;
  private frames = 0;
  private packetLength = 0;
  /** Prefix bytes still wanted for the current packet; 0 once delivered or when none is wanted. */
  private prefixWanted = 0;
  private prefix: Buffer = EMPTY;
  private prefixCollected = 0;

  constructor(handler: PacketScanHandler, options: PacketScannerOptions = {}) {
    this.handler = handler;
    this.maxPacketSize = options.maxPacketSize ?? Number.POSITIVE_INFINITY;
  }

  expectSequence(sequenceId: number): void {
    this.expected = sequenceId & 0xff;
  }

  ignoreSequence(): void {
    this.expected = -1;
  }

  /** True between packets (no partial header or payload pending). */
  get idle(): boolean {
    return this.headerLength === 0 && this.frameRemaining < 0 && this.frames === 0;
  }

  /** True when the last chunk ended inside a packet's first frame header (its length not known yet). */
  get headerCut(): boolean {
    return this.headerLength > 0 && this.frames === 0;
  }

  /** Size of the prefix buffer (for tests and memory accounting). */
  get capacity(): number {
    return this.prefix.length;
  }

  /** Bytes held between calls: a partial header plus the prefix collected so far. */
  get bufferedBytes(): number {
    return this.headerLength + this.prefixCollected;
  }

  /**
   * Walks the frames in `chunk`, calling the handler synchronously, and returns the offset it
   * reached: the chunk's end, or a packet boundary when `stopAtBoundary` is set (the caller scans
   * the rest, as a subarray, later). The chunk is not kept. No optional parameter here: an
   * argument adaptor on this hot a call cost the server-side framer figure about 10%.
   */
  scan(chunk: Buffer): number {
    const h = this.handler;
    const end = chunk.length;
    let pos = 0;
    // An empty packet paused after its (empty) prefix ends on the next scan, even of no bytes.
    if (this.frameRemaining === 0) {
      this.finishFrame();
      if (this.pausing) return this.pausedAtEnd(0);
    }
    while (pos < end) {
      if (this.frameRemaining >= 0) {
        const n = Math.min(this.frameRemaining, end - pos);
        // Paused by onPrefix before these bytes went to onPayload: they are scanned again.
        if (this.passPayload(chunk, pos, pos + n)) return pos;
        pos += n;
        if (this.frameRemaining > 0) return end;
        this.finishFrame();
        if (this.pausing) return this.pausedAtEnd(pos);
        continue;
      }
      if (this.stopAtBoundary && this.frames === 0 && this.headerLength === 0) return pos;
      let length: number;
      let seq: number;
      let headerStart = -1;
      if (this.headerLength === 0 && end - pos >= 4) {
        length = chunk[pos]! | (chunk[pos + 1]! << 8) | (chunk[pos + 2]! << 16);
        seq = chunk[pos + 3]!;
        headerStart = pos;
        pos += 4;
      } else {
        while (this.headerLength < 4 && pos < end) this.headerBits |= chunk[pos++]! << (8 * this.headerLength++);
        if (this.headerLength < 4) return end;
        length = this.headerBits & 0xffffff;
        seq = this.headerBits >>> 24;
        this.headerLength = 0;
        this.headerBits = 0;
      }
      if (this.expected >= 0) {
        if (seq !== this.expected) {
          throw new MysqlProtocolError(`MySQL packet out of order: sequence id ${seq}, expected ${this.expected}`);
        }
        this.expected = (seq + 1) & 0xff;
      }
      this.lastSequenceId = seq;
      const first = this.frames === 0;
      if (this.packetLength + length > this.maxPacketSize) {
        throw new MysqlPacketTooLargeError(this.packetLength + length, this.maxPacketSize);
      }
      h.onFrame(seq, length, !first, headerStart);
      this.frames++;
      if (first) {
        this.prefixWanted = this.prefixLength;
        // Fast path: a whole single-frame packet in this chunk is reported from the chunk itself.
        if (length < MAX_FRAME_PAYLOAD && end - pos >= length) {
          const start = pos;
          if (this.prefixWanted > 0) {
            const pause = h.onPrefix(
              chunk,
              start,
              length <= this.prefixWanted ? start + length : start + this.prefixWanted,
              length <= this.prefixWanted,
            );
            this.prefixWanted = 0;
            if (pause === true) {
              // The payload (all of it still unpassed) is read when scanning resumes here.
              this.frameFull = false;
              this.frameRemaining = length;
              return start;
            }
          }
          pos += length;
          if (this.wantPayload) h.onPayload(chunk, start, pos);
          this.frames = 0;
          h.onPacketEnd(length, 1);
          continue;
        }
      }
      this.frameFull = length === MAX_FRAME_PAYLOAD;
      this.frameRemaining = length;
      if (length === 0) {
        this.finishFrame();
        if (this.pausing) return this.pausedAtEnd(pos);
      }
    }
    return end;
  }

  /** A prefix handed over as its packet ended (all of it passed already) pauses at the boundary. */
  private pausedAtEnd(pos: number): number {
    this.pausing = false;
    return pos;
  }

  /** Forgets any partial packet, e.g. when the stream changes hands. */
  reset(): void {
    this.pausing = false;
    this.headerLength = 0;
    this.headerBits = 0;
    this.frameRemaining = -1;
    this.frames = 0;
    this.packetLength = 0;
    this.prefixWanted = 0;
    this.prefixCollected = 0;
    this.prefix = EMPTY;
  }

  /**
   * The prefix goes before the payload that holds it, so a relay can decide before it forwards.
   * Returns true when onPrefix asked to pause: then nothing of `buf[start, end)` counts as passed.
   */
  private passPayload(buf: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (this.prefixWanted > 0) {
      const take = Math.min(this.prefixWanted, n);
      const completes = !this.frameFull && take === this.frameRemaining;
      // biome-ignore lint/suspicious/noConfusingVoidType: a handler that never pauses returns nothing
      let pause: boolean | void = false;
      if (this.prefixCollected === 0 && take === this.prefixWanted) {
        this.prefixWanted = 0;
        pause = this.handler.onPrefix(buf, start, start + take, completes);
      } else {
        if (this.prefix.length < this.prefixCollected + take) {
          // Sized from what the headers announced so far, not from prefixLength, which may be a
          // whole packet's limit (PacketParser); a packet spanning frames doubles, up to the limit.
          const known = this.prefixCollected + Math.min(this.prefixWanted, this.frameRemaining);
          const doubled = Math.min(this.prefix.length * 2, this.prefixCollected + this.prefixWanted);
          const next = Buffer.allocUnsafe(Math.max(known, doubled));
          this.prefix.copy(next, 0, 0, this.prefixCollected);
          this.prefix = next;
        }
        buf.copy(this.prefix, this.prefixCollected, start, start + take);
        this.prefixCollected += take;
        this.prefixWanted -= take;
        if (this.prefixWanted === 0) pause = this.deliverPrefix(completes);
      }
      // Paused: these bytes are passed again when scanning resumes, so none is counted yet.
      if (pause === true) return true;
    }
    if (this.wantPayload) this.handler.onPayload(buf, start, end);
    this.frameRemaining -= n;
    this.packetLength += n;
    return false;
  }

  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that never pauses returns nothing
  private deliverPrefix(complete: boolean): boolean | void {
    const collected = this.prefixCollected;
    this.prefixWanted = 0;
    this.prefixCollected = 0;
    const buf = this.prefix;
    if (buf.length > RETAIN_BYTES) this.prefix = EMPTY;
    return this.handler.onPrefix(buf, 0, collected, complete);
  }

  private finishFrame(): void {
    this.frameRemaining = -1;
    if (this.frameFull) return;
    if (this.prefixWanted > 0) this.pausing = this.deliverPrefix(true) === true;
    const length = this.packetLength;
    const frames = this.frames;
    this.packetLength = 0;
    this.frames = 0;
    this.handler.onPacketEnd(length, frames);
  }
}
