import { Duplex } from 'node:stream';
import { GatehouseError } from '@gatehouse/common';
import { TunnelError } from './errors.js';
import type { StreamOpenHeader, TunnelErrorPayload } from './schemas.js';

/** What a stream needs from its connection; implemented by TunnelConnection. */
export interface StreamHost {
  readonly maxDataFrame: number;
  readonly writable: boolean;
  whenWritable(callback: () => void): void;
  sendData(streamId: number, payload: Uint8Array): void;
  sendWindow(streamId: number, increment: number): void;
  sendFin(streamId: number): void;
  sendReset(streamId: number, error: TunnelErrorPayload): void;
  streamClosed(streamId: number): void;
}

export interface TunnelStreamStats {
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Bytes this side may still send before the peer grants more. */
  readonly sendCredit: number;
  /** Bytes sent and not yet acknowledged by credit: what the peer may be holding for us. */
  readonly unacknowledgedBytes: number;
  /** Received bytes waiting for the consumer to read them. */
  readonly queuedBytes: number;
  /** The most bytes ever queued here at once; never above the receive window. */
  readonly peakQueuedBytes: number;
  /** The window this side granted the peer. */
  readonly receiveWindow: number;
}

// Small payloads are copied out of their WebSocket message before they wait in a queue, so a few
// bytes held for a paused consumer do not pin a whole 64 KiB socket read.
const COPY_BELOW = 1024;

/**
 * One session's bytes over the tunnel, as a Duplex. Credit flows like HTTP/2's WINDOW_UPDATE:
 * the peer may send at most `receiveWindow` bytes that this side's consumer has not taken, and
 * credit goes back only as the consumer reads. A consumer that stops reading therefore stops its
 * peer's sender after one window, and the backpressure reaches the socket feeding that sender.
 */
export class TunnelStream extends Duplex {
  readonly streamId: number;
  /** The header the stream was opened with. */
  readonly header: StreamOpenHeader;
  readonly #host: StreamHost;
  readonly #window: number;
  #sendCredit: number;
  /** The window the peer granted us: credit in flight is this minus what is left. */
  readonly #peerWindow: number;
  #queue: Buffer[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #peakQueuedBytes = 0;
  /** Received and not yet returned to the peer as credit. */
  #outstanding = 0;
  /** Handed to the consumer and not yet returned as credit. */
  #consumed = 0;
  #wantsData = false;
  #finReceived = false;
  #finSent = false;
  #resetReceived = false;
  #bytesSent = 0;
  #bytesReceived = 0;
  #pendingChunk: Buffer | undefined;
  #pendingOffset = 0;
  #pendingCallback: ((err?: Error | null) => void) | undefined;
  #waitingForSocket = false;
  readonly #resume = (): void => {
    this.#waitingForSocket = false;
    this.#pump();
  };

  constructor(host: StreamHost, streamId: number, header: StreamOpenHeader, receiveWindow: number, sendCredit: number) {
    super({ allowHalfOpen: true, readableHighWaterMark: 16 * 1024, writableHighWaterMark: 16 * 1024 });
    this.#host = host;
    this.streamId = streamId;
    this.header = header;
    this.#window = receiveWindow;
    this.#sendCredit = sendCredit;
    this.#peerWindow = sendCredit;
  }

  stats(): TunnelStreamStats {
    return {
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      sendCredit: this.#sendCredit,
      unacknowledgedBytes: this.#peerWindow - this.#sendCredit,
      queuedBytes: this.#queuedBytes,
      peakQueuedBytes: this.#peakQueuedBytes,
      receiveWindow: this.#window,
    };
  }

  // --- from the connection ---

  /** @internal Returns false when the peer broke flow control. */
  receiveData(payload: Buffer): boolean {
    if (this.#finReceived || this.#resetReceived) return true;
    this.#outstanding += payload.length;
    this.#bytesReceived += payload.length;
    if (this.#outstanding > this.#window) return false;
    if (this.#wantsData && this.#queuedBytes === 0) {
      this.#wantsData = false;
      this.#consumed += payload.length;
      this.push(payload);
      return true;
    }
    const chunk =
      payload.length < COPY_BELOW && payload.buffer.byteLength > 2 * payload.length ? Buffer.from(payload) : payload;
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > this.#peakQueuedBytes) this.#peakQueuedBytes = this.#queuedBytes;
    return true;
  }

  /** @internal */
  receiveWindow(increment: number): void {
    this.#sendCredit += increment;
    this.#pump();
  }

  /** @internal */
  receiveFin(): void {
    this.#finReceived = true;
    if (this.#queuedBytes === 0 && this.#wantsData) {
      this.#wantsData = false;
      this.push(null);
    }
    this.#maybeClosed();
  }

  /** @internal */
  receiveReset(error: TunnelErrorPayload): void {
    this.#resetReceived = true;
    this.destroy(
      new TunnelError('GH_ERR_TUNNEL_STREAM_RESET', `tunnel stream reset by peer: ${error.message}`, {
        remoteCode: error.code,
      }),
    );
  }

  /** @internal The connection is gone; nothing more can be sent. */
  abort(err: Error): void {
    this.#resetReceived = true;
    this.destroy(err);
  }

  // --- Duplex ---

  override _read(): void {
    // Only bytes pushed here (or straight through while the consumer waits) earn the peer new
    // credit; the Readable buffer above us stays under its small high-water mark.
    let full = false;
    while (this.#queueHead < this.#queue.length && !full) {
      const chunk = this.#queue[this.#queueHead]!;
      this.#queueHead++;
      this.#queuedBytes -= chunk.length;
      this.#consumed += chunk.length;
      full = !this.push(chunk);
    }
    if (this.#queueHead === this.#queue.length) {
      if (this.#queue.length !== 0) this.#queue.length = 0;
      this.#queueHead = 0;
      if (this.#finReceived) this.push(null);
      else if (!full) this.#wantsData = true;
    } else if (this.#queueHead >= 64) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    this.#grantCredit();
  }

  #grantCredit(): void {
    const consumed = this.#consumed;
    if (consumed === 0 || this.#finReceived || this.#resetReceived) return;
    const half = this.#window >>> 1;
    // Credit in half-window steps keeps WINDOW frames rare; when the consumer has caught up and
    // the peer is nearly out of credit, return what was read so the peer never waits on us.
    const peerCredit = this.#window - this.#outstanding;
    if (consumed >= half || (this.#queuedBytes === 0 && peerCredit < half)) {
      this.#consumed = 0;
      this.#outstanding -= consumed;
      this.#host.sendWindow(this.streamId, consumed);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#pendingChunk = chunk;
    this.#pendingOffset = 0;
    this.#pendingCallback = callback;
    this.#pump();
  }

  #pump(): void {
    const chunk = this.#pendingChunk;
    if (chunk === undefined || this.#waitingForSocket) return;
    const host = this.#host;
    while (this.#pendingOffset < chunk.length && this.#sendCredit > 0) {
      if (!host.writable) {
        this.#waitingForSocket = true;
        host.whenWritable(this.#resume);
        return;
      }
      const length = Math.min(chunk.length - this.#pendingOffset, this.#sendCredit, host.maxDataFrame);
      host.sendData(this.streamId, chunk.subarray(this.#pendingOffset, this.#pendingOffset + length));
      this.#pendingOffset += length;
      this.#sendCredit -= length;
      this.#bytesSent += length;
    }
    if (this.#pendingOffset === chunk.length) {
      const callback = this.#pendingCallback!;
      this.#pendingChunk = undefined;
      this.#pendingCallback = undefined;
      callback();
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#finSent = true;
    this.#host.sendFin(this.streamId);
    callback();
    this.#maybeClosed();
  }

  #maybeClosed(): void {
    // Both directions finished at the wire level: the connection forgets the stream. The Duplex
    // itself ends when its consumer reads the end.
    if (this.#finSent && this.#finReceived) this.#host.streamClosed(this.streamId);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const pending = this.#pendingCallback;
    this.#pendingChunk = undefined;
    this.#pendingCallback = undefined;
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
    if (!this.#resetReceived && !(this.#finSent && this.#finReceived)) {
      this.#host.sendReset(this.streamId, {
        code: err instanceof GatehouseError ? err.code : 'GH_ERR_TUNNEL_STREAM_RESET',
        message: err?.message ?? 'stream closed before it finished',
      });
    }
    this.#host.streamClosed(this.streamId);
    pending?.(err ?? new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel stream destroyed'));
    callback(err);
  }
}
