// Fewer, larger writes for a streaming result. A relay that writes every chunk it is handed pays
// the writable stream's bookkeeping, one TLS record (a header, a tag, a cipher call) and one
// socket write per chunk; a result of small rows arrives as many small chunks in one event-loop
// turn. The coalescer joins the small chunks of one turn into writes of at most one TLS record:
// a chunk of half a record or more goes out as it is (never split, never copied: a WebSocket
// tunnel's DATA payloads of just under 16 KiB joined in pairs would each be copied into a 32 KiB
// buffer, garbage for nothing), smaller ones are copied once into the joined buffer, and
// whatever is left is written when the turn's synchronous work is done (process.nextTick), so a
// lone reply waits for nothing.
//
// Backpressure is the destination's: when its write() returns false the coalescer calls
// `pause` once, and `resume` on its next 'drain'. What the coalescer itself holds is bounded by
// one record, since it writes as soon as the next chunk would not fit.
import type { Writable } from 'node:stream';

/** The largest plaintext of one TLS record (RFC 8446 §5.1): one record's worth per write. */
export const TLS_RECORD_BYTES = 16 * 1024;

export interface WriteCoalescerOptions {
  /** Where the bytes go: a socket, a tunnel stream. */
  readonly target: Writable;
  /** The target is full: stop the source. Called once per full spell. */
  readonly pause: () => void;
  /** The target drained after `pause`: the source may go on. */
  readonly resume: () => void;
  /** The most bytes one joined write carries; default one TLS record. */
  readonly recordBytes?: number;
}

export class WriteCoalescer {
  readonly #target: Writable;
  readonly #pause: () => void;
  readonly #resume: () => void;
  readonly #recordBytes: number;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #flushScheduled = false;
  #paused = false;
  #closed = false;
  /**
   * The 'drain' listener, made the first time the target is full: a relay has three coalescers,
   * and per-instance arrow functions (with their context) would stay with every idle session.
   */
  #onDrain: (() => void) | undefined;

  /** What process.nextTick calls at the end of the turn: a static, so no closure per instance. */
  static #flushAtEndOfTurn(coalescer: WriteCoalescer): void {
    coalescer.#flushScheduled = false;
    coalescer.flush();
  }

  constructor(options: WriteCoalescerOptions) {
    this.#target = options.target;
    this.#pause = options.pause;
    this.#resume = options.resume;
    this.#recordBytes = options.recordBytes ?? TLS_RECORD_BYTES;
  }

  /** Bytes waiting here for the end of the turn (at most about one record). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** The source was paused and the target has not drained yet. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Takes a chunk; the buffer must not change afterwards (it may be written later this turn). */
  write(chunk: Buffer): void {
    if (this.#closed || chunk.length === 0) return;
    if (chunk.length * 2 >= this.#recordBytes) {
      // Large enough to go alone: what waits goes first, then the chunk as it is.
      this.flush();
      this.#send(chunk);
      return;
    }
    // A joined write never passes one record: what waits goes now if this chunk would not fit.
    if (this.#queuedBytes + chunk.length > this.#recordBytes) this.flush();
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes === this.#recordBytes) this.flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(WriteCoalescer.#flushAtEndOfTurn, this);
    }
  }

  /** Writes whatever waits, now. */
  flush(): void {
    const count = this.#queue.length;
    if (count === 0 || this.#closed) return;
    const bytes = count === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queuedBytes);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#send(bytes);
  }

  /** Flushes, then ends the target. */
  end(): void {
    this.flush();
    this.#closed = true;
    this.#target.end();
  }

  /** Drops what waits (the target failed or is gone); later writes are ignored. */
  discard(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#onDrain !== undefined) this.#target.off('drain', this.#onDrain);
  }

  #send(bytes: Buffer): void {
    if (this.#target.write(bytes) || this.#paused) return;
    this.#paused = true;
    this.#onDrain ??= () => {
      this.#paused = false;
      if (!this.#closed) this.#resume();
    };
    this.#target.once('drain', this.#onDrain);
    this.#pause();
  }
}
