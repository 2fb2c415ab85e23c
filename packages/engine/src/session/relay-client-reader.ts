// The client→server half of the relay. It walks MySQL frame headers the way the wire area's
// PacketScanner does, but it must also decide about each command *before* forwarding a byte
// of it (a denied command never reaches the server) and be able to stop at a packet boundary
// (while a denial waits for earlier replies, or before a session-limit close). So it gathers the
// first bytes of each command (bounded: 64 KiB by default), asks the handler, and then forwards
// the packet as views of the input chunks, or skips it. Bytes to forward that sit next to each
// other in one chunk go out as one write. A handler that must wait before it decides (a command
// hook) answers 'hold': the reader keeps the command and every byte behind it until release(),
// so a pipelined command cannot overtake the one waiting.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
import { MAX_FRAME_PAYLOAD } from '@gatehouse/mysql-protocol';

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

const State = { Header: 0, Prefix: 1, Pass: 2, Skip: 3 } as const;
type State = (typeof State)[keyof typeof State];

const RETAIN_PREFIX = 4 * 1024;
const EMPTY = Buffer.alloc(0);

export class ClientReader {
  readonly #handler: ClientReaderHandler;
  readonly #prefixLimit: number;
  #state: State = State.Header;
  readonly #header = Buffer.alloc(4);
  #headerFill = 0;
  #frameRemaining = 0;
  #frameFull = false;
  #continuation = false;
  #packetLength = 0;
  #isCommand = false;
  #forwarding = false;
  #prefix: Buffer = EMPTY;
  #prefixFill = 0;
  #prefixWanted = 0;
  #sequenceId = 0;
  #firstLength = 0;
  #stopAsked = false;
  #stopped = false;
  #held: Buffer[] = [];
  /** A command waits for release(): its header and prefix, as read. */
  #holding: Buffer | undefined;
  // The run of bytes in the current chunk waiting to be forwarded as one view.
  #chunk: Buffer = EMPTY;
  #runStart = -1;
  #runEnd = -1;

  constructor(handler: ClientReaderHandler, prefixLimit = 64 * 1024) {
    this.#handler = handler;
    this.#prefixLimit = prefixLimit;
  }

  /** Stopped at a packet boundary; bytes that came since are held until resume(). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Between packets: no partial packet has been read. */
  get atBoundary(): boolean {
    return this.#state === State.Header && this.#headerFill === 0 && !this.#continuation;
  }

  /** A copy of the bytes received while stopped, not read yet. */
  heldBytes(): Buffer {
    return Buffer.concat(this.#held);
  }

  /** Stop at the next packet boundary (at once if the reader is at one). */
  stop(): void {
    this.#stopAsked = true;
    if (this.atBoundary && !this.#stopped) {
      this.#stopped = true;
      this.#handler.onStopped();
    }
  }

  /** Continues with held bytes, until the next stop. */
  resume(): void {
    this.#stopAsked = false;
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
    if (this.#frameRemaining > 0) this.#state = this.#forwarding ? State.Pass : State.Skip;
    else this.#endFrame(0);
    if (this.#stopAsked && this.atBoundary) {
      this.#stopped = true;
      this.#handler.onStopped();
      return;
    }
    this.#drainHeld();
  }

  #drainHeld(): void {
    while (this.#held.length > 0 && !this.#stopped && this.#holding === undefined) {
      const chunk = this.#held.shift()!;
      this.push(chunk);
    }
  }

  /** Keeps the command whose prefix was just read, and the rest of the chunk after `pos`. */
  #hold(prefix: Buffer, chunk: Buffer, pos: number): void {
    const head = Buffer.allocUnsafe(4 + prefix.length);
    this.#header.copy(head, 0);
    prefix.copy(head, 4);
    this.#holding = head;
    this.#frameRemaining -= this.#prefixWanted;
    this.#prefixFill = 0;
    this.#flushRun();
    // Ahead of any chunk still held from before: bytes keep their order.
    if (pos < chunk.length) this.#held.unshift(chunk.subarray(pos));
  }

  push(chunk: Buffer): void {
    if (this.#stopped || this.#holding !== undefined) {
      this.#held.push(chunk);
      return;
    }
    this.#chunk = chunk;
    // A header read from an earlier chunk is not part of this one: it goes out as a copy.
    this.#headerInChunk = -1;
    try {
      this.#run(chunk);
    } finally {
      this.#flushRun();
      this.#chunk = EMPTY;
    }
    if (this.#stopAsked && !this.#stopped && this.atBoundary) {
      this.#stopped = true;
      this.#handler.onStopped();
    }
  }

  #run(chunk: Buffer): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      switch (this.#state) {
        case State.Header: {
          if (this.#stopAsked && this.atBoundary) {
            this.#flushRun();
            // In front: resume() may be replaying later chunks that are still held.
            this.#held.unshift(chunk.subarray(pos));
            this.#stopped = true;
            this.#handler.onStopped();
            return;
          }
          const headerStart = pos;
          const whole = this.#headerFill === 0 && end - pos >= 4;
          if (whole) {
            chunk.copy(this.#header, 0, pos, pos + 4);
            pos += 4;
          } else {
            while (this.#headerFill < 4 && pos < end) this.#header[this.#headerFill++] = chunk[pos++]!;
            if (this.#headerFill < 4) return;
          }
          this.#headerFill = 0;
          this.#startFrame(whole ? headerStart : -1, pos);
          if (this.#frameRemaining === 0) pos = this.#endFrame(pos);
          break;
        }
        case State.Prefix: {
          const take = Math.min(this.#prefixWanted - this.#prefixFill, end - pos);
          if (this.#prefixFill === 0 && take === this.#prefixWanted) {
            // The whole prefix is in this chunk: decide on a view of it.
            const verdict = this.#decide(chunk.subarray(pos, pos + take));
            if (verdict === 'hold') {
              this.#hold(chunk.subarray(pos, pos + take), chunk, pos + take);
              return;
            }
            if (verdict === 'forward') {
              if (this.#headerInChunk >= 0) this.#addRun(this.#headerInChunk, pos + take);
              else {
                this.#emit(Buffer.from(this.#header));
                this.#addRun(pos, pos + take);
              }
            }
            pos += take;
          } else {
            this.#growPrefix();
            chunk.copy(this.#prefix, this.#prefixFill, pos, pos + take);
            this.#prefixFill += take;
            pos += take;
            if (this.#prefixFill < this.#prefixWanted) return;
            const prefix = this.#prefix.subarray(0, this.#prefixFill);
            const verdict = this.#decide(prefix);
            if (verdict === 'hold') {
              this.#hold(prefix, chunk, pos);
              return;
            }
            if (verdict === 'forward') {
              this.#emit(Buffer.from(this.#header));
              this.#emit(Buffer.from(prefix));
            }
            this.#prefixFill = 0;
            if (this.#prefix.length > RETAIN_PREFIX) this.#prefix = EMPTY;
          }
          this.#frameRemaining -= this.#prefixWanted;
          this.#state = this.#forwarding ? State.Pass : State.Skip;
          if (this.#frameRemaining === 0) pos = this.#endFrame(pos);
          break;
        }
        case State.Pass:
        case State.Skip: {
          const take = Math.min(this.#frameRemaining, end - pos);
          if (this.#state === State.Pass) this.#addRun(pos, pos + take);
          pos += take;
          this.#frameRemaining -= take;
          if (this.#frameRemaining > 0) return;
          pos = this.#endFrame(pos);
          break;
        }
      }
    }
  }

  /** Where the current command's header starts in the chunk, or -1 when it came in pieces. */
  #headerInChunk = -1;

  #startFrame(headerStart: number, payloadStart: number): void {
    const h = this.#header;
    const length = h[0]! | (h[1]! << 8) | (h[2]! << 16);
    const sequenceId = h[3]!;
    this.#frameRemaining = length;
    this.#frameFull = length === MAX_FRAME_PAYLOAD;
    if (this.#continuation) {
      // Later frames of a long packet follow the first one's verdict.
      this.#packetLength += length;
      this.#forwardHeader(headerStart, payloadStart);
      this.#state = this.#forwarding ? State.Pass : State.Skip;
      return;
    }
    this.#packetLength = length;
    this.#sequenceId = sequenceId;
    this.#firstLength = length;
    this.#isCommand = this.#handler.nextIsCommand();
    if (!this.#isCommand) {
      this.#forwarding = true;
      this.#forwardHeader(headerStart, payloadStart);
      this.#state = State.Pass;
      return;
    }
    if (length === 0) {
      // An empty command packet: let the handler refuse it as malformed.
      this.#headerInChunk = headerStart;
      const verdict = this.#decide(EMPTY);
      if (verdict === 'forward') this.#forwardHeader(headerStart, payloadStart);
      this.#state = State.Header;
      return;
    }
    this.#headerInChunk = headerStart;
    this.#prefixWanted = Math.min(length, this.#prefixLimit);
    this.#prefixFill = 0;
    this.#state = State.Prefix;
  }

  #forwardHeader(headerStart: number, payloadStart: number): void {
    if (!this.#forwarding) return;
    if (headerStart >= 0) this.#addRun(headerStart, payloadStart);
    else this.#emit(Buffer.from(this.#header));
  }

  #decide(prefix: Buffer): CommandVerdict {
    const complete = !this.#frameFull && prefix.length === this.#firstLength;
    const verdict = this.#handler.onCommand(prefix, this.#firstLength, this.#sequenceId, complete);
    this.#forwarding = verdict === 'forward';
    return verdict;
  }

  #endFrame(pos: number): number {
    this.#state = State.Header;
    if (this.#frameFull) {
      this.#continuation = true;
      return pos;
    }
    this.#continuation = false;
    this.#handler.onPacketEnd(this.#packetLength, this.#isCommand);
    return pos;
  }

  #growPrefix(): void {
    if (this.#prefix.length < this.#prefixWanted) {
      const next = Buffer.allocUnsafe(this.#prefixWanted);
      this.#prefix.copy(next, 0, 0, this.#prefixFill);
      this.#prefix = next;
    }
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
