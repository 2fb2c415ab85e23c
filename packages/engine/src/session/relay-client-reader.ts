// The client→server half of the relay, as a use of the one framer (mysql-protocol's
// PacketScanner). It must decide about each command *before* forwarding a byte of it (a denied
// command never reaches the server), be able to stop at a packet boundary (while a denial waits
// for earlier replies, or before a session-limit close), and hold a command while a hook decides
// (the scanner pauses after the command's prefix; every byte behind it waits, so a pipelined
// command cannot overtake the one waiting). So it asks the scanner for the first bytes of each
// command (bounded: 64 KiB by default), asks the handler, and then forwards the packet as views
// of the input chunks, or skips it. Bytes to forward that sit next to each other in one chunk
// (header and payload, or several small commands) go out as one write.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
import { MAX_FRAME_PAYLOAD, type PacketScanHandler, PacketScanner } from '@gatehouse/mysql-protocol';

export type CommandVerdict = 'forward' | 'drop' | 'hold';

export interface ClientReaderHandler {
  /** Whether the next packet begins a command (else it is LOCAL INFILE data). */
  nextIsCommand(): boolean;
  /**
   * A command's first `prefix.length` payload bytes (all of it when `complete`); `length` is
   * the first frame's payload length. `prefix` is valid only during the call. 'hold': nothing
   * more is read until release() says what becomes of this command.
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

export class ClientReader implements PacketScanHandler {
  readonly #handler: ClientReaderHandler;
  readonly #prefixLimit: number;
  readonly #scanner: PacketScanner;
  #stopped = false;
  /** Chunks (or the rest of one) not scanned yet: read after a stop or a held command. */
  #held: Buffer[] = [];
  /** A command waits for release(): its header and prefix, as they would be forwarded. */
  #holding: Buffer | undefined;
  // The packet being read.
  #isCommand = false;
  #forwarding = false;
  #sequenceId = 0;
  #firstLength = 0;
  /** Where the command's first header sits in the current chunk; -1 when elsewhere. */
  #headerAt = -1;
  /** Payload bytes of this packet passed to onPayload, and how many of them went out already. */
  #seen = 0;
  #covered = 0;
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

  /** A copy of the bytes received while stopped, not read yet. */
  heldBytes(): Buffer {
    return Buffer.concat(this.#held);
  }

  /** Stop at the next packet boundary (at once if the reader is at one). */
  stop(): void {
    this.#scanner.stopAtBoundary = true;
    this.#noteStop();
  }

  /** Continues with held bytes, until the next stop. */
  resume(): void {
    this.#scanner.stopAtBoundary = false;
    this.#stopped = false;
    this.#drainHeld();
  }

  /**
   * The held command goes on: 'forward' sends it (as `replacement`, a whole packet, when the
   * handler rewrote a complete command) and the rest of its packet; 'drop' skips it.
   */
  release(verdict: 'forward' | 'drop', replacement?: Buffer): void {
    const head = this.#holding;
    if (head === undefined) return;
    this.#holding = undefined;
    this.#forwarding = verdict === 'forward';
    if (this.#forwarding) this.#handler.forward(replacement ?? head);
    // The scanner paused before passing the packet's rest: an empty command ends on a scan of
    // no bytes.
    if (this.#held.length === 0) this.#scan(EMPTY);
    this.#noteStop();
    this.#drainHeld();
  }

  push(chunk: Buffer): void {
    if (this.#stopped || this.#holding !== undefined) {
      this.#held.push(chunk);
      return;
    }
    this.#scan(chunk);
    this.#noteStop();
  }

  #drainHeld(): void {
    while (this.#held.length > 0 && !this.#stopped && this.#holding === undefined) {
      this.#scan(this.#held.shift()!);
      this.#noteStop();
    }
  }

  #scan(chunk: Buffer): void {
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
    // Stopped at a boundary or paused for a hold: the rest is read later, ahead of any chunk
    // held from before (bytes keep their order).
    if (reached < chunk.length) this.#held.unshift(chunk.subarray(reached));
  }

  #noteStop(): void {
    if (this.#scanner.stopAtBoundary && !this.#stopped && this.#holding === undefined && this.atBoundary) {
      this.#stopped = true;
      this.#handler.onStopped();
    }
  }

  // --- PacketScanHandler: called by the scanner, not by the relay ---

  onFrame(sequenceId: number, length: number, isContinuation: boolean, headerStart: number): void {
    if (isContinuation) {
      // Later frames of a long packet follow the first one's verdict.
      if (this.#forwarding) this.#forwardHeader(headerStart, sequenceId, length);
      return;
    }
    this.#seen = 0;
    this.#isCommand = this.#handler.nextIsCommand();
    if (!this.#isCommand) {
      this.#forwarding = true;
      this.#covered = 0;
      this.#scanner.prefixLength = 0;
      this.#forwardHeader(headerStart, sequenceId, length);
      return;
    }
    this.#forwarding = false;
    this.#sequenceId = sequenceId;
    this.#firstLength = length;
    this.#headerAt = headerStart;
    // Asking for no more than the first frame holds makes the scanner hand the prefix over
    // before the payload that ends it, so the verdict comes before any of it is forwarded. An
    // empty command still gets its (empty) prefix, for the handler to refuse as malformed.
    this.#scanner.prefixLength = length === 0 ? 1 : Math.min(length, this.#prefixLimit);
  }

  /** Returns true (pause the scanner) when the handler holds the command. */
  onPrefix(buf: Buffer, start: number, end: number): boolean {
    // A view of the current chunk is followed by onPayload with the same bytes; a copy gathered
    // across chunks is forwarded by #decide, and onPayload skips what it covered.
    return this.#decide(buf.subarray(start, end), buf === this.#chunk && this.#seen === 0);
  }

  /** `buf` is always the chunk being scanned, which the run refers to. */
  onPayload(_buf: Buffer, start: number, end: number): void {
    const seen = this.#seen;
    this.#seen = seen + (end - start);
    if (!this.#forwarding) return;
    // Bytes the forwarded prefix copy (or the held command's head) held already went out.
    const from = this.#covered > seen ? start + Math.min(this.#covered - seen, end - start) : start;
    if (from < end) this.#addRun(from, end);
  }

  onPacketEnd(length: number): void {
    this.#handler.onPacketEnd(length, this.#isCommand);
  }

  // --- forwarding ---

  /** `inChunk`: the prefix is a view of the current chunk, at the start of the payload. */
  #decide(prefix: Buffer, inChunk: boolean): boolean {
    const complete = this.#firstLength < MAX_FRAME_PAYLOAD && prefix.length === this.#firstLength;
    const verdict = this.#handler.onCommand(prefix, this.#firstLength, this.#sequenceId, complete);
    this.#forwarding = verdict === 'forward';
    this.#covered = inChunk ? 0 : prefix.length;
    if (verdict === 'hold') {
      this.#hold(prefix, inChunk);
      return true;
    }
    if (!this.#forwarding) return false;
    this.#forwardHeader(inChunk ? this.#headerAt : -1, this.#sequenceId, this.#firstLength);
    if (!inChunk && prefix.length > 0) this.#emit(Buffer.from(prefix));
    return false;
  }

  /**
   * Keeps the command's header and prefix for release(); the scanner pauses (onPrefix returns
   * true), and the bytes it has not passed yet (the prefix's included) come back when the held
   * chunks are scanned.
   */
  #hold(prefix: Buffer, inChunk: boolean): void {
    const at = this.#headerAt;
    if (inChunk && at >= 0) {
      // Header and prefix sit together in the chunk: a view of them, no copy.
      this.#holding = this.#chunk.subarray(at, at + 4 + prefix.length);
    } else {
      const head = Buffer.allocUnsafe(4 + prefix.length);
      writeHeader(head, this.#firstLength, this.#sequenceId);
      prefix.copy(head, 4);
      this.#holding = head;
    }
    this.#covered = prefix.length;
  }

  #forwardHeader(headerAt: number, sequenceId: number, length: number): void {
    if (headerAt >= 0) {
      this.#addRun(headerAt, headerAt + 4);
      return;
    }
    const header = Buffer.allocUnsafe(4);
    writeHeader(header, length, sequenceId);
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

function writeHeader(into: Buffer, length: number, sequenceId: number): void {
  into[0] = length & 0xff;
  into[1] = (length >> 8) & 0xff;
  into[2] = (length >> 16) & 0xff;
  into[3] = sequenceId;
}
