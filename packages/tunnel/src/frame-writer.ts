import { FRAME_HEADER_SIZE, FrameType, type FrameTypeCode } from './constants.js';
import { writeFrameHeader } from './frame-serializer.js';

/** What a tunnel connection needs from its carrier (a WebSocket in production, a pipe in tests). */
export interface TunnelTransport {
  /**
   * Bytes the carrier writes in front of each message (its own frame header). FrameWriter leaves
   * that many bytes free at the start of every buffer it sends, so header and message reach the
   * socket as one buffer: one write, no gather copy. Default 0.
   */
  readonly headroom?: number;
  /**
   * The most message bytes (after the headroom) the carrier wants in one message, when it has a
   * reason to cap them: a WebSocket over TLS whose messages each fit one TLS record reaches the
   * peer's WebSocket reader in one socket read, which hands it on as a view rather than joining
   * reads into a fresh buffer. A single frame larger than this still goes as one message. A
   * transport that sets it also lets FrameWriter reuse a message buffer once `done` has run.
   */
  readonly maxMessageBytes?: number;
  /**
   * Sends one binary message: the bytes of `buffer` from `headroom` on; the bytes before are the
   * transport's to fill. `done` runs once the socket took the bytes, or with the error.
   */
  send(buffer: Buffer, done: (err?: Error) => void): void;
  /**
   * Optional, for a carrier in the same process: takes a batch as segments, serialized frames
   * and DATA payloads as they were written, so bulk bytes reach the peer without a copy into a
   * message (one allocation and one copy of every byte less). `done` as for `send`.
   */
  sendSegments?(segments: readonly FrameSegment[], done: (err?: Error) => void): void;
  /** Ends the connection politely. */
  close(): void;
  /** Drops the connection at once, without a closing handshake (a dead peer). */
  terminate(): void;
}

/** A batch for sendSegments: serialized frames, or one DATA frame's stream and payload. */
export type FrameSegment = Buffer | DataSegment;

export interface DataSegment {
  readonly streamId: number;
  readonly payload: Uint8Array;
}

/** Above this many pending bytes a batch is sent at once rather than at the end of the tick. */
const BATCH_LIMIT = 256 * 1024;

/** Message buffers kept for reuse: at 16 KiB each, a 1 MiB high-water mark's worth. */
const SPARE_BUFFERS = 64;

/**
 * Queues frames and sends those queued in one tick as one WebSocket message: one allocation and
 * one socket write for many small frames (WINDOW, PING, short DATA), and header and payload in
 * the same buffer for large ones. It also counts the bytes the socket has not yet taken, which
 * is the connection-wide backpressure signal streams wait on.
 */
export class FrameWriter {
  readonly #transport: TunnelTransport;
  readonly #headroom: number;
  readonly #highWaterMark: number;
  /** Pending bytes that make a message: BATCH_LIMIT, or the transport's cap. */
  readonly #messageBytes: number;
  /** Capped messages are cut from buffers of one size, kept here once the transport is done. */
  readonly #spare: Buffer[] = [];
  readonly #reuse: boolean;
  /** 0 marks an already serialized frame, copied without a header. */
  readonly #types: (FrameTypeCode | 0)[] = [];
  readonly #ids: number[] = [];
  readonly #payloads: (Uint8Array | undefined)[] = [];
  #pendingBytes = 0;
  #inFlightBytes = 0;
  #peakBufferedBytes = 0;
  #scheduled: NodeJS.Immediate | undefined;
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly #flushNow = (): void => this.flush();

  constructor(transport: TunnelTransport, highWaterMark: number) {
    this.#transport = transport;
    this.#headroom = transport.headroom ?? 0;
    this.#highWaterMark = highWaterMark;
    this.#reuse = transport.maxMessageBytes !== undefined;
    this.#messageBytes = transport.maxMessageBytes ?? BATCH_LIMIT;
  }

  /** Bytes queued here or handed to the socket and not yet written by it. */
  get bufferedBytes(): number {
    return this.#pendingBytes + this.#inFlightBytes;
  }

  /** The most bytes ever buffered at once: the bound the writer held to, for tests and metrics. */
  get peakBufferedBytes(): number {
    return this.#peakBufferedBytes;
  }

  get writable(): boolean {
    return this.bufferedBytes < this.#highWaterMark;
  }

  /** Queues a frame. The payload must not change until the batch is sent (end of this tick). */
  write(type: FrameTypeCode, id: number, payload?: Uint8Array): void {
    if (this.#closed) return;
    this.#queue(type, id, payload, FRAME_HEADER_SIZE + (payload?.byteLength ?? 0));
  }

  /** Queues an already serialized frame (control frames). */
  writeRaw(frame: Buffer): void {
    if (this.#closed) return;
    // Stored as a payload with a pseudo type 0: flush copies it without a header.
    this.#queue(0, 0, frame, frame.byteLength);
  }

  #queue(type: FrameTypeCode | 0, id: number, payload: Uint8Array | undefined, size: number): void {
    // A frame that would push the batch past one message starts the next one.
    if (this.#pendingBytes > 0 && this.#pendingBytes + size > this.#messageBytes) this.flush();
    this.#types.push(type);
    this.#ids.push(id);
    this.#payloads.push(payload);
    this.#pendingBytes += size;
    if (this.#pendingBytes >= this.#messageBytes) this.flush();
    else this.#scheduled ??= setImmediate(this.#flushNow);
  }

  /** Runs `callback` once the buffered bytes fall below the high-water mark (at once if they are). */
  whenWritable(callback: () => void): void {
    if (this.writable || this.#closed) callback();
    else this.#waiters.push(callback);
  }

  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const count = this.#types.length;
    if (count === 0 || this.#closed) return;
    const size = this.#pendingBytes;
    if (this.#transport.sendSegments !== undefined) {
      this.#sendSegments(this.#transport.sendSegments, count, size);
      return;
    }
    const capacity = this.#headroom + this.#messageBytes;
    // A capped message comes from a spare buffer when there is one: no allocation, no garbage.
    const reused = this.#reuse && size <= this.#messageBytes;
    const backing = reused ? (this.#spare.pop() ?? Buffer.allocUnsafeSlow(capacity)) : undefined;
    const message =
      backing === undefined ? Buffer.allocUnsafe(this.#headroom + size) : backing.subarray(0, this.#headroom + size);
    let offset = this.#headroom;
    for (let i = 0; i < count; i++) offset = this.#serializeAt(message, offset, i);
    this.#clearQueue();
    this.#inFlightBytes += size;
    if (this.#inFlightBytes > this.#peakBufferedBytes) this.#peakBufferedBytes = this.#inFlightBytes;
    this.#transport.send(message, () => {
      this.#inFlightBytes -= size;
      if (backing !== undefined && this.#spare.length < SPARE_BUFFERS) this.#spare.push(backing);
      this.#wake();
    });
  }

  /** The batch as segments: DATA payloads by reference, runs of other frames serialized. */
  #sendSegments(send: NonNullable<TunnelTransport['sendSegments']>, count: number, size: number): void {
    const segments: FrameSegment[] = [];
    let runStart = 0;
    let runBytes = 0;
    const closeRun = (end: number): void => {
      if (runBytes === 0) return;
      const run = Buffer.allocUnsafe(runBytes);
      let offset = 0;
      for (let i = runStart; i < end; i++) offset = this.#serializeAt(run, offset, i);
      segments.push(run);
      runBytes = 0;
    };
    for (let i = 0; i < count; i++) {
      const type = this.#types[i]!;
      const length = this.#payloads[i]?.byteLength ?? 0;
      if (type === FrameType.Data) {
        closeRun(i);
        segments.push({ streamId: this.#ids[i]!, payload: this.#payloads[i]! });
        runStart = i + 1;
      } else {
        if (runBytes === 0) runStart = i;
        runBytes += (type === 0 ? 0 : FRAME_HEADER_SIZE) + length;
      }
    }
    closeRun(count);
    this.#clearQueue();
    this.#inFlightBytes += size;
    if (this.#inFlightBytes > this.#peakBufferedBytes) this.#peakBufferedBytes = this.#inFlightBytes;
    send(segments, () => {
      this.#inFlightBytes -= size;
      this.#wake();
    });
  }

  /** Writes queued frame `i` into `target` at `offset`; returns the offset after it. */
  #serializeAt(target: Buffer, offset: number, i: number): number {
    const type = this.#types[i]!;
    const payload = this.#payloads[i];
    const length = payload?.byteLength ?? 0;
    if (type !== 0) {
      writeFrameHeader(target, offset, type, this.#ids[i]!, length);
      offset += FRAME_HEADER_SIZE;
    }
    if (payload !== undefined) target.set(payload, offset);
    return offset + length;
  }

  #clearQueue(): void {
    this.#types.length = 0;
    this.#ids.length = 0;
    this.#payloads.length = 0;
    this.#pendingBytes = 0;
  }

  /** Drops whatever is queued and wakes every waiter; later writes are ignored. */
  close(): void {
    this.#closed = true;
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#clearQueue();
    this.#wake();
  }

  #wake(): void {
    if (this.#waiters.length === 0 || !(this.writable || this.#closed)) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}
