import { randomBytes } from 'node:crypto';
import { GatehouseError } from '@gatehouse/common';
import type { Logger } from 'pino';
import { FRAME_HEADER_SIZE, FrameType } from './constants.js';
import { TunnelError, TunnelProtocolError } from './errors.js';
import { FrameParser } from './frame-parser.js';
import {
  serializeOpen,
  serializeOpenAck,
  serializeOpenReject,
  serializePing,
  serializePong,
  serializeRegistration,
  serializeReset,
} from './frame-serializer.js';
import { type FrameSegment, FrameWriter, type TunnelTransport } from './frame-writer.js';
import type { TunnelFrame } from './frames.js';
import { createRequestTable, type RequestHandler, type RequestTable, type TunnelReply } from './request-table.js';
import type { EngineRegistration, StreamOpenHeader, TunnelErrorPayload } from './schemas.js';
import { type StreamHost, TunnelStream } from './tunnel-stream.js';

export interface TunnelConnectionOptions {
  readonly transport: TunnelTransport;
  /** The proxy opens odd stream ids and the engine even ones, so both could open streams. */
  readonly role: 'proxy' | 'engine';
  readonly log: Logger;
  /** Bytes a peer may send on one stream before its consumer reads (default 256 KiB). */
  readonly streamWindow?: number;
  /** Largest DATA payload (default 64 KiB). */
  readonly maxDataFrame?: number;
  /** Bytes queued for the socket above which streams wait (default 1 MiB). */
  readonly writeHighWaterMark?: number;
  /** How often to PING (default 5 s). */
  readonly heartbeatInterval?: number;
  /** Silence after which the peer is dead (default 15 s). */
  readonly heartbeatTimeout?: number;
  /** How long an OPEN waits for its answer (default 10 s). */
  readonly openTimeout?: number;
  /** How long a REQUEST waits for its RESPONSE (default 30 s). */
  readonly requestTimeout?: number;
  /** A stream the peer opened; call accept() or reject(). Without it every OPEN is rejected. */
  readonly onStream?: (incoming: IncomingStream) => void;
  readonly onRegistration?: (kind: 'register' | 'update', registration: EngineRegistration) => void;
  /** Runs once when the connection ends; `err` says why unless it was closed on purpose. */
  readonly onClose?: (err: Error | undefined) => void;
  /** A heartbeat came back: seconds from PING to its PONG (for the round-trip histogram). */
  readonly onRoundTrip?: (seconds: number) => void;
  /**
   * A handler (a stream's consumer, onStream, onRegistration) threw while a frame was delivered.
   * The tunnel has already reset that stream and logged it; this is for the metrics.
   */
  readonly onHandlerError?: (err: unknown, failure: HandlerFailure) => void;
}

/** Where a handler error was caught: the frame being delivered and, for a stream, its session. */
export interface HandlerFailure {
  readonly frame: TunnelFrame['kind'];
  readonly streamId: number | undefined;
  readonly sessionId: string | undefined;
}

const NO_CHAIN: readonly Buffer[] = Object.freeze([]);

/**
 * The header a stream keeps for its whole life. The client's certificate chain (1–3 KiB of DER,
 * often a view into an 8 KiB pool slab) is needed only to open the session, so the stream
 * does not keep it; IncomingStream.header still has it for the engine's authorization.
 */
function withoutChain(header: StreamOpenHeader): StreamOpenHeader {
  return { ...header, clientCertChain: NO_CHAIN };
}

/**
 * The chain copied into memory of its own size. A session keeps it for its whole life (a
 * COM_CHANGE_USER authorizes again); Buffer.from() would put each certificate in the shared 8 KiB
 * pool, and every idle session would then hold a slab of its own.
 */
function copyChain(chain: readonly Buffer[]): Buffer[] {
  let total = 0;
  for (const der of chain) total += der.length;
  const memory = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  return chain.map((der) => {
    memory.set(der, offset);
    offset += der.length;
    return memory.subarray(offset - der.length, offset);
  });
}

export interface IncomingStream {
  readonly streamId: number;
  readonly header: StreamOpenHeader;
  accept(): TunnelStream;
  reject(error: TunnelErrorPayload): void;
}

export interface OpenStreamOptions {
  readonly timeout?: number;
}

interface PendingOpen {
  readonly header: StreamOpenHeader;
  readonly resolve: (stream: TunnelStream) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One engine↔proxy WebSocket carrying many streams, control requests and heartbeats.
 * See docs/architecture.md for why the sessions share one connection.
 */
export class TunnelConnection implements StreamHost {
  readonly maxDataFrame: number;
  readonly #options: TunnelConnectionOptions;
  readonly #log: Logger;
  readonly #writer: FrameWriter;
  readonly #parser: FrameParser;
  readonly #streams = new Map<number, TunnelStream>();
  readonly #opening = new Map<number, PendingOpen>();
  readonly #window: number;
  readonly #requests: RequestTable;
  #nextStreamId: number;
  #closed = false;
  #lastReceivedAt = Date.now();
  #heartbeat: NodeJS.Timeout | undefined;
  /** The last PING's payload and when it went out (performance.now()), to time its PONG. */
  #ping: { payload: Buffer; at: number } | undefined;
  #handlerErrors = 0;
  readonly #onFrame = (frame: TunnelFrame): void => this.#deliverFrame(frame);

  constructor(options: TunnelConnectionOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#window = options.streamWindow ?? 256 * 1024;
    // A DATA frame fits one message of a carrier that caps them (see TunnelTransport).
    const cap = options.transport.maxMessageBytes;
    const maxData = options.maxDataFrame ?? 64 * 1024;
    this.maxDataFrame = cap === undefined ? maxData : Math.min(maxData, cap - FRAME_HEADER_SIZE);
    this.#writer = new FrameWriter(options.transport, options.writeHighWaterMark ?? 1024 * 1024);
    this.#parser = new FrameParser();
    this.#nextStreamId = options.role === 'proxy' ? 1 : 2;
    this.#requests = createRequestTable(this.#writer, options.requestTimeout ?? 30_000);
    const interval = options.heartbeatInterval ?? 5000;
    const timeout = options.heartbeatTimeout ?? 15_000;
    this.#heartbeat = setInterval(() => this.#beat(timeout), interval);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  /** Bytes waiting for the socket, across every stream. */
  get bufferedBytes(): number {
    return this.#writer.bufferedBytes;
  }

  /** The most bytes ever waiting for the socket at once. */
  get peakBufferedBytes(): number {
    return this.#writer.peakBufferedBytes;
  }

  get writable(): boolean {
    return this.#writer.writable;
  }

  /** Handler errors caught so far (each ended its stream, not the tunnel). */
  get handlerErrors(): number {
    return this.#handlerErrors;
  }

  /** Registers a handler for a control request method (e.g. the audit batch). */
  handle(method: string, handler: RequestHandler): void {
    this.#requests.handle(method, handler);
  }

  /** Sends a control request and waits for its response. */
  request(method: string, body: unknown, blobs?: readonly Uint8Array[], timeout?: number): Promise<TunnelReply> {
    if (this.#closed) return Promise.reject(new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel connection is closed'));
    return this.#requests.request(method, body, blobs, timeout);
  }

  sendRegistration(kind: 'register' | 'update', registration: EngineRegistration): void {
    this.#writer.writeRaw(serializeRegistration(kind, registration));
  }

  /** Opens a stream; resolves once the peer accepts it, rejects with GH_ERR_TUNNEL_STREAM_REJECTED if it refuses. */
  openStream(header: StreamOpenHeader, options: OpenStreamOptions = {}): Promise<TunnelStream> {
    if (this.#closed) return Promise.reject(new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel connection is closed'));
    const streamId = this.#allocateStreamId();
    return new Promise((resolve, reject) => {
      const timeout = options.timeout ?? this.#options.openTimeout ?? 10_000;
      const timer = setTimeout(() => {
        this.#opening.delete(streamId);
        this.#writer.writeRaw(serializeReset(streamId, { code: 'GH_ERR_TUNNEL_TIMEOUT', message: 'open timed out' }));
        reject(new TunnelError('GH_ERR_TUNNEL_TIMEOUT', `tunnel stream open got no answer within ${timeout} ms`));
      }, timeout);
      this.#opening.set(streamId, { header, resolve, reject, timer });
      this.#writer.writeRaw(serializeOpen(streamId, this.#window, header));
    });
  }

  /**
   * Feeds one WebSocket message. Never throws: it runs inside the ws message handler or the
   * in-memory link's microtask, where a throw would take the process down. A handler's error
   * ends its stream (#deliverFrame); only broken framing gets here and closes the connection.
   */
  receive(message: Buffer): void {
    if (this.#closed) return;
    this.#lastReceivedAt = Date.now();
    try {
      this.#parser.parse(message, this.#onFrame);
    } catch (err) {
      if (err instanceof TunnelProtocolError) this.#log.warn({ err }, 'tunnel peer broke the protocol');
      else this.#log.error({ err }, 'tunnel frame parsing failed');
      this.#fail(
        err instanceof Error ? err : new TunnelProtocolError('tunnel frame parsing failed', { cause: err }),
        true,
      );
    }
  }

  /**
   * Feeds one batch from a carrier in the same process (sendSegments): serialized frames are
   * parsed as a message; DATA payloads go to their streams as they are. Never throws, as receive.
   */
  receiveSegments(segments: readonly FrameSegment[]): void {
    for (const segment of segments) {
      if (this.#closed) return;
      if (Buffer.isBuffer(segment)) {
        this.receive(segment);
        continue;
      }
      this.#lastReceivedAt = Date.now();
      const payload = Buffer.isBuffer(segment.payload)
        ? segment.payload
        : Buffer.from(segment.payload.buffer, segment.payload.byteOffset, segment.payload.byteLength);
      try {
        this.#deliverFrame({ kind: 'data', streamId: segment.streamId, payload, bytes: payload });
      } catch (err) {
        // Only a flow-control breach gets here (#deliverFrame contains handler errors).
        this.#log.warn({ err }, 'tunnel peer broke the protocol');
        this.#fail(
          err instanceof Error ? err : new TunnelProtocolError('tunnel data delivery failed', { cause: err }),
          true,
        );
        return;
      }
    }
  }

  /** The transport is gone (closed by either side). */
  transportClosed(err?: Error): void {
    this.#fail(err ?? new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel connection closed'), false);
  }

  /** Closes the connection on purpose; open streams fail with GH_ERR_TUNNEL_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#writer.flush();
    this.#shutdown(new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel connection closed'), undefined);
    this.#options.transport.close();
  }

  // --- StreamHost ---

  whenWritable(callback: () => void): void {
    this.#writer.whenWritable(callback);
  }

  sendData(streamId: number, payload: Uint8Array): void {
    this.#writer.write(FrameType.Data, streamId, payload);
  }

  sendWindow(streamId: number, increment: number): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(increment, 0);
    this.#writer.write(FrameType.Window, streamId, payload);
  }

  sendFin(streamId: number): void {
    this.#writer.write(FrameType.Fin, streamId);
  }

  sendReset(streamId: number, error: TunnelErrorPayload): void {
    this.#writer.writeRaw(serializeReset(streamId, error));
  }

  streamClosed(streamId: number): void {
    this.#streams.delete(streamId);
  }

  // --- internals ---

  #allocateStreamId(): number {
    // Ids wrap after 2^32 and skip any still in use, keeping the side's parity.
    const next = (id: number): number => (id + 2 <= 0xffffffff ? id + 2 : id % 2 === 1 ? 1 : 2);
    let id = this.#nextStreamId;
    while (this.#streams.has(id) || this.#opening.has(id)) id = next(id);
    this.#nextStreamId = next(id);
    return id;
  }

  #beat(timeout: number): void {
    if (this.#closed) return;
    if (Date.now() - this.#lastReceivedAt > timeout) {
      this.#log.warn({ timeout }, 'tunnel peer missed its heartbeats');
      this.#fail(new TunnelError('GH_ERR_TUNNEL_HEARTBEAT', `tunnel peer silent for more than ${timeout} ms`), true);
      return;
    }
    const payload = randomBytes(8);
    this.#ping = { payload, at: performance.now() };
    this.#writer.writeRaw(serializePing(payload));
  }

  /**
   * The error boundary for one frame. Protocol errors go up and end the tunnel; anything else is
   * a handler's bug: that stream is reset, the error logged with its session and counted, and the
   * other streams on this connection go on.
   */
  #deliverFrame(frame: TunnelFrame): void {
    try {
      this.#handleFrame(frame);
    } catch (err) {
      if (err instanceof TunnelProtocolError) throw err;
      this.#handlerFailed(frame, err);
    }
  }

  #handlerFailed(frame: TunnelFrame, err: unknown): void {
    this.#handlerErrors++;
    const streamId = 'streamId' in frame ? frame.streamId : undefined;
    const stream = streamId === undefined ? undefined : this.#streams.get(streamId);
    const sessionId = stream?.header.sessionId ?? (frame.kind === 'open' ? frame.header.sessionId : undefined);
    this.#log.error(
      { err, streamId, sessionId, frame: frame.kind },
      'tunnel stream handler failed; the stream is reset',
    );
    if (stream !== undefined) {
      stream.destroy(new TunnelError('GH_ERR_TUNNEL_STREAM_RESET', 'the stream handler failed', { cause: err }));
    } else if (frame.kind === 'open' && streamId !== undefined && !this.#closed) {
      // onStream threw before answering: refuse the stream so the opener is not left waiting.
      this.#writer.writeRaw(
        serializeOpenReject(streamId, { code: 'GH_ERR_TUNNEL_STREAM_REJECTED', message: 'the stream handler failed' }),
      );
    }
    try {
      this.#options.onHandlerError?.(err, { frame: frame.kind, streamId, sessionId });
    } catch (hookErr) {
      this.#log.error({ err: hookErr }, 'tunnel onHandlerError hook failed');
    }
  }

  #handleFrame(frame: TunnelFrame): void {
    switch (frame.kind) {
      case 'data': {
        const stream = this.#streams.get(frame.streamId);
        // Frames for a stream we already forgot are the tail of a reset race; drop them.
        if (stream !== undefined && !stream.receiveData(frame.payload)) {
          throw new TunnelProtocolError(`stream ${frame.streamId} exceeded its flow-control window`);
        }
        return;
      }
      case 'window':
        this.#streams.get(frame.streamId)?.receiveWindow(frame.increment);
        return;
      case 'fin':
        this.#streams.get(frame.streamId)?.receiveFin();
        return;
      case 'reset': {
        const pending = this.#opening.get(frame.streamId);
        if (pending !== undefined) this.#settleOpen(frame.streamId, frame.error);
        this.#streams.get(frame.streamId)?.receiveReset(frame.error);
        return;
      }
      case 'open':
        this.#handleOpen(frame.streamId, frame.window, frame.header);
        return;
      case 'open-ack': {
        const pending = this.#opening.get(frame.streamId);
        if (pending === undefined) return;
        this.#opening.delete(frame.streamId);
        clearTimeout(pending.timer);
        const stream = new TunnelStream(this, frame.streamId, withoutChain(pending.header), this.#window, frame.window);
        this.#streams.set(frame.streamId, stream);
        pending.resolve(stream);
        return;
      }
      case 'open-reject':
        this.#settleOpen(frame.streamId, frame.error);
        return;
      case 'ping':
        this.#writer.writeRaw(serializePong(frame.payload));
        return;
      case 'pong': {
        const ping = this.#ping;
        if (ping?.payload.equals(frame.payload)) {
          this.#ping = undefined;
          this.#options.onRoundTrip?.((performance.now() - ping.at) / 1000);
        }
        return;
      }
      case 'register':
      case 'update':
        this.#options.onRegistration?.(frame.kind, frame.registration);
        return;
      case 'request':
        this.#requests.serve(frame.requestId, frame.method, frame.body, frame.blobs);
        return;
      case 'response':
        this.#requests.settle(frame.requestId, frame.result);
        return;
    }
  }

  #settleOpen(streamId: number, error: TunnelErrorPayload): void {
    const pending = this.#opening.get(streamId);
    if (pending === undefined) return;
    this.#opening.delete(streamId);
    clearTimeout(pending.timer);
    pending.reject(
      new TunnelError('GH_ERR_TUNNEL_STREAM_REJECTED', `engine refused the session: ${error.message}`, {
        remoteCode: error.code,
      }),
    );
  }

  #handleOpen(streamId: number, peerWindow: number, header: StreamOpenHeader): void {
    if (this.#streams.has(streamId) || streamId % 2 === (this.#options.role === 'proxy' ? 1 : 0)) {
      throw new TunnelProtocolError(`peer opened stream ${streamId}, which is in use or not the peer's to open`);
    }
    const onStream = this.#options.onStream;
    if (onStream === undefined) {
      this.#writer.writeRaw(
        serializeOpenReject(streamId, {
          code: 'GH_ERR_TUNNEL_STREAM_REJECTED',
          message: 'this side accepts no streams',
        }),
      );
      return;
    }
    // The cert chain views point into the WebSocket message; the session keeps them, so copy.
    const owned: StreamOpenHeader = { ...header, clientCertChain: copyChain(header.clientCertChain) };
    let answered = false;
    onStream({
      streamId,
      header: owned,
      accept: () => {
        if (answered) throw new Error('stream already answered');
        answered = true;
        const stream = new TunnelStream(this, streamId, withoutChain(owned), this.#window, peerWindow);
        if (this.#closed) stream.abort(new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel connection is closed'));
        else {
          this.#streams.set(streamId, stream);
          this.#writer.writeRaw(serializeOpenAck(streamId, this.#window));
        }
        return stream;
      },
      reject: (error) => {
        if (answered) throw new Error('stream already answered');
        answered = true;
        this.#writer.writeRaw(serializeOpenReject(streamId, error));
      },
    });
  }

  #fail(err: Error, terminate: boolean): void {
    if (this.#closed) return;
    this.#shutdown(err, err);
    if (terminate) this.#options.transport.terminate();
  }

  #shutdown(err: Error, reported: Error | undefined): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#writer.close();
    const streamError =
      err instanceof GatehouseError
        ? err
        : new TunnelError('GH_ERR_TUNNEL_CLOSED', 'tunnel connection lost', { cause: err });
    for (const pending of this.#opening.values()) {
      clearTimeout(pending.timer);
      pending.reject(streamError);
    }
    this.#opening.clear();
    for (const stream of this.#streams.values()) stream.abort(streamError);
    this.#streams.clear();
    this.#requests.failAll(streamError);
    this.#options.onClose?.(reported);
  }
}
