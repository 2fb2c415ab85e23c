// The client→server half of the relay, as a use of the one framer (mysql-protocol's
// PacketScanner). It must decide about each command *before* forwarding a byte of it (a denied
// command never reaches the server) and be able to stop at a packet boundary (while a denial
// waits for earlier replies, or before a session-limit close). So it asks the scanner for the
// first bytes of each command (bounded: 64 KiB by default), asks the handler, and then forwards
// the packet as views of the input chunks, or skips it. Bytes to forward that sit next to each
// other in one chunk (header and payload, or several small commands) go out as one write.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
import { MAX_FRAME_PAYLOAD, type PacketScanHandler, PacketScanner } from '@gatehouse/mysql-protocol';

export type CommandVerdict = 'forward' | 'drop';

export interface ClientReaderHandler {
  /** Whether the next packet begins a command (else it is LOCAL INFILE data). */
  nextIsCommand(): boolean;
  /**
   * A command's first `prefix.length` payload bytes (all of it when `complete`); `length` is
   * the first frame's payload length. `prefix` is valid only during the call.
   */
  onCommand(prefix: Buffer, length: number, sequenceId: number, complete: boolean): CommandVerdict;
  /** A whole packet ended: `length` payload bytes; `command` says which kind it was. */
  onPacketEnd(length: number, command: boolean): void;
  /** Bytes to send to the server, in order. The buffer is a view the caller may keep. */
  forward(bytes: Buffer): void;
  /** The reader stopped at a packet boundary after stop() was asked. */
  onStopped(): void;
}

const EMPTY = Buffer.alloc(0);
/** Payload bytes already forwarded: none yet decided (the prefix is still being gathered). */
const UNDECIDED = -1;

export class ClientReader implements PacketScanHandler {
  readonly #handler: ClientReaderHandler;
  readonly #prefixLimit: number;
  readonly #scanner: PacketScanner;
  #stopped = false;
  #held: Buffer[] = [];
  // The packet being read.
  #isCommand = false;
  #forwarding = false;
  #sequenceId = 0;
  #firstLength = 0;
  /** Where the command's first header sits in the current chunk; -1 when elsewhere. */
  #headerAt = -1;
  /** Payload bytes of this packet the scanner has passed, and how many the prefix copy covered. */
  #seen = 0;
  #covered = UNDECIDED;
  // The run of bytes in the current chunk waiting to be forwarded as one view.
  #chunk: Buffer = EMPTY;
  #runStart = -1;
  #runEnd = -1;

  constructor(handler: ClientReaderHandler, prefixLimit = 64 * 1024) {
    this.#handler = handler;
    this.#prefixLimit = prefixLimit;
    this.#scanner = new PacketScanner(this);
    this.#scanner.wantPayload = true;
  }

  /** Stopped at a packet boundary; bytes that came since are held until resume(). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Between packets: no partial packet has been read. */
  get atBoundary(): boolean {
    return this.#scanner.idle;
  }

  /** Stop at the next packet boundary (at once if the reader is at one). */
  stop(): void {
    this.#scanner.stopAtBoundary = true;
    if (this.atBoundary && !this.#stopped) {
      this.#stopped = true;
      this.#handler.onStopped();
    }
  }

  /** Continues with held bytes, until the next stop. */
  resume(): void {
    this.#scanner.stopAtBoundary = false;
    this.#stopped = false;
    while (this.#held.length > 0 && !this.#stopped) {
      const chunk = this.#held.shift()!;
      this.push(chunk);
    }
  }

  push(chunk: Buffer): void {
    if (this.#stopped) {
      this.#held.push(chunk);
      return;
    }
    this.#chunk = chunk;
    // A header read from an earlier chunk is not part of this one: it goes out as a copy.
    this.#headerAt = -1;
    let reached: number;
    try {
      reached = this.#scanner.scan(chunk);
    } finally {
      this.#flushRun();
      this.#chunk = EMPTY;
    }
    if (reached < chunk.length) this.#held.push(chunk.subarray(reached));
    if (this.#scanner.stopAtBoundary && !this.#stopped && this.atBoundary) {
      this.#stopped = true;
      this.#handler.onStopped();
    }
  }

  // --- PacketScanHandler: called by the scanner, not by the relay ---

  onFrame(sequenceId: number, length: number, isContinuation: boolean, headerAt: number): void {
    if (isContinuation) {
      // Later frames of a long packet follow the first one's verdict.
      if (this.#forwarding) this.#forwardHeader(headerAt, sequenceId, length);
      return;
    }
    this.#seen = 0;
    this.#isCommand = this.#handler.nextIsCommand();
    if (!this.#isCommand) {
      this.#forwarding = true;
      this.#covered = 0;
      this.#scanner.prefixLength = 0;
      this.#forwardHeader(headerAt, sequenceId, length);
      return;
    }
    this.#forwarding = false;
    this.#covered = UNDECIDED;
    this.#sequenceId = sequenceId;
    this.#firstLength = length;
    this.#headerAt = headerAt;
    // Asking for no more than the first frame holds makes the scanner hand the prefix over
    // before the payload that ends it, so the verdict comes before any of it is forwarded.
    this.#scanner.prefixLength = Math.min(length, this.#prefixLimit);
    // An empty command packet: let the handler refuse it as malformed.
    if (length === 0) this.#decide(EMPTY, true);
  }

  onPrefix(buf: Buffer, start: number, end: number): void {
    // A view of the current chunk is followed by onPayload with the same bytes; a copy gathered
    // across chunks is forwarded by #decide, and onPayload skips what it covered.
    this.#decide(buf.subarray(start, end), buf === this.#chunk && this.#seen === 0);
  }

  /** `buf` is always the chunk being scanned, which the run refers to. */
  onPayload(_buf: Buffer, start: number, end: number): void {
    const seen = this.#seen;
    this.#seen = seen + (end - start);
    if (!this.#forwarding) return;
    // Bytes the forwarded prefix copy held already went out.
    const from = this.#covered > seen ? start + Math.min(this.#covered - seen, end - start) : start;
    if (from < end) this.#addRun(from, end);
  }

  onPacketEnd(length: number): void {
    this.#handler.onPacketEnd(length, this.#isCommand);
  }

  // --- forwarding ---

  /** `inChunk`: the prefix is a view of the current chunk, right behind its header. */
  #decide(prefix: Buffer, inChunk: boolean): void {
    const complete = this.#firstLength < MAX_FRAME_PAYLOAD && prefix.length === this.#firstLength;
    const verdict = this.#handler.onCommand(prefix, this.#firstLength, this.#sequenceId, complete);
    this.#forwarding = verdict === 'forward';
    this.#covered = inChunk ? 0 : prefix.length;
    if (!this.#forwarding) return;
    this.#forwardHeader(inChunk ? this.#headerAt : -1, this.#sequenceId, this.#firstLength);
    if (!inChunk && prefix.length > 0) this.#emit(Buffer.from(prefix));
  }

  #forwardHeader(headerAt: number, sequenceId: number, length: number): void {
    if (headerAt >= 0) {
      this.#addRun(headerAt, headerAt + 4);
      return;
    }
    const header = Buffer.allocUnsafe(4);
    header.writeUIntLE(length, 0, 3);
    header[3] = sequenceId;
    this.#emit(header);
  }

  #addRun(start: number, end: number): void {
    if (this.#runStart >= 0 && this.#runEnd === start) {
      this.#runEnd = end;
      return;
    }
    this.#flushRun();
    this.#runStart = start;
    this.#runEnd = end;
  }

  #emit(bytes: Buffer): void {
    this.#flushRun();
    this.#handler.forward(bytes);
  }

  #flushRun(): void {
    if (this.#runStart < 0) return;
    if (this.#runEnd > this.#runStart) this.#handler.forward(this.#chunk.subarray(this.#runStart, this.#runEnd));
    this.#runStart = -1;
    this.#runEnd = -1;
  }
}
