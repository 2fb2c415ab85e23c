// The client leg of a session that negotiated CLIENT_COMPRESS. The proxy owns the compressed
// layer, so the engine (and its parsers, limits and audit) sees the same plain MySQL stream as for
// any other client: bytes from the client are inflated here, bytes to it deflated here. It is a
// Duplex over the client's socket, so the relay (client-tunnel-relay.ts) runs unchanged, with
// its backpressure: a full tunnel stops reading the socket, a slow client stops writes here
// until its socket drains.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression.html
//
// Sequence ids. The compressed layer has its own ids; the packets inside keep theirs, which the
// server leg checks and the readers of a compressed stream ignore. Like a server, the proxy
// numbers each frame it writes one past the last frame it read (the client starts a command at
// 0 and expects 1) and counts up from there; an unsolicited packet before any command (a close
// for a lock) goes out as 1, the id a reply would have.
//
// Each engine chunk becomes its frames at once (no coalescing, so no added latency); a frame
// holds at most 64 KiB of plain bytes (CompressedPacketWriter), which bounds each synchronous
// deflate. A frame that does not inflate to what it declares, or a packet over the limit, gets
// an ERR (ER_NET_UNCOMPRESS_ERROR / ER_NET_PACKET_TOO_LARGE, compressed, as the client expects)
// and the session is closed.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  CompressedPacketReader,
  CompressedPacketWriter,
  MysqlPacketTooLargeError,
  ServerError,
  serializeErrPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';

/** How long a client is given to read the ERR for a bad frame before its socket is cut. */
const FAREWELL_GRACE_MS = 2000;

export interface CompressedClientLeg {
  /** The plain-side view of the client: what the relay reads from and writes to. */
  readonly client: Duplex;
  /** The plain bytes of what the client sent past its login (the relay sends them first). */
  readonly leftover: Buffer;
}

/**
 * Puts the compressed layer between `socket` (logged in, paused) and the relay. `leftover` is
 * what the connection phase read past the login, still compressed; `capabilities` encode an ERR.
 * Throws MysqlProtocolError when the leftover itself is malformed.
 */
export function compressClientLeg(socket: Socket | TLSSocket, leftover: Buffer, capabilities: number): CompressedClientLeg {
  const client = new CompressedClient(socket, capabilities);
  return { client, leftover: client.decodeLeftover(leftover) };
}

class CompressedClient extends Duplex {
  readonly #socket: Socket | TLSSocket;
  readonly #capabilities: number;
  readonly #reader = new CompressedPacketReader();
  readonly #writer = new CompressedPacketWriter();
  /** Reused for each write's frames (a header and a body per frame). */
  readonly #frames: Buffer[] = [];
  #socketEnded = false;
  #farewell = false;

  constructor(socket: Socket | TLSSocket, capabilities: number) {
    super({ allowHalfOpen: true, decodeStrings: false });
    this.#socket = socket;
    this.#capabilities = capabilities;
    this.#writer.sequenceId = 1;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  decodeLeftover(leftover: Buffer): Buffer {
    if (leftover.length === 0) return leftover;
    const parts: Buffer[] = [];
    this.#reader.push(leftover, (plain, sequenceId) => {
      this.#writer.sequenceId = (sequenceId + 1) & 0xff;
      parts.push(plain);
    });
    return Buffer.concat(parts);
  }

  readonly #onPlain = (plain: Buffer, sequenceId: number): void => {
    this.#writer.sequenceId = (sequenceId + 1) & 0xff;
    if (plain.length > 0 && !this.push(plain)) this.#socket.pause();
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#farewell) return;
    try {
      this.#reader.push(chunk, this.#onPlain);
    } catch (err) {
      this.#sayFarewell(err as Error);
    }
  };

  readonly #onEnd = (): void => {
    this.#socketEnded = true;
    this.push(null);
  };

  readonly #onError = (err: Error): void => {
    this.destroy(err);
  };

  readonly #onClose = (): void => {
    if (this.destroyed) return;
    // A clean close comes after the socket's end; let the relay see this side's 'end' first, as
    // it would from the socket itself, so that it is not taken for a premature close.
    if (this.#socketEnded && !this.readableEnded) this.once('end', () => this.destroy());
    else this.destroy();
  };

  override _read(): void {
    if (!this.#farewell) this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#sendFrames(chunk)) callback();
    else this.#socket.once('drain', () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#socket.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#socket.off('data', this.#onData);
    if (this.#farewell) {
      // The ERR is on its way: end after it, and cut the socket if the client does not read it.
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), FAREWELL_GRACE_MS).unref();
    } else {
      this.#socket.destroy();
    }
    callback(err);
  }

  /** Writes `plain` as compressed frames in one corked batch; false when the socket is full. */
  #sendFrames(plain: Buffer): boolean {
    const frames = this.#writer.write(plain, this.#frames);
    const socket = this.#socket;
    socket.cork();
    let ok = true;
    for (const frame of frames) ok = socket.write(frame);
    socket.uncork();
    frames.length = 0;
    return ok;
  }

  /** A malformed frame: the client gets an ERR saying so, and the session ends with `err`. */
  #sayFarewell(err: Error): void {
    this.#farewell = true;
    this.#socket.pause();
    const which = err instanceof MysqlPacketTooLargeError ? ServerError.NetPacketTooLarge : ServerError.NetUncompressError;
    const payload = serializeErrPacket({ ...which, message: `Gatehouse closed the session: ${err.message}` }, this.#capabilities);
    this.#sendFrames(serializePacket(payload, 1));
    this.destroy(err);
  }
}
