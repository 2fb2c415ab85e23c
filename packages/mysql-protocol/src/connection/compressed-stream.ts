// A session's socket with the compressed layer (CLIENT_COMPRESS) taken off: a Duplex that reads
// and writes the plain MySQL stream while the socket carries compressed packets. A relay runs on
// it as on the socket itself, with its backpressure: a full reader stops reading the socket, a
// slow socket holds writes here until it drains. Gatehouse's proxy puts it on the client leg
// (role 'server'), so the engine sees plain packets whatever the client negotiated; the engine
// puts it on the database leg (role 'client') when a database asks for compression.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression.html
//
// Sequence ids. The compressed layer has its own ids; the packets inside keep theirs, which a
// reader of a compressed stream ignores. Like the servers and libmariadb, each frame written is
// numbered one past the last frame read, counting up from there. A client also starts every
// command at 0: here, a write that begins at a packet boundary with a packet of id 0 (which, from
// a client, is always a new command). A server's unsolicited packet before any command (a close
// for a lock) goes out as 1, the id a reply would have.
//
// Each write becomes its frames at once (no coalescing, so no added latency); a frame holds at
// most 64 KiB of plain bytes (CompressedPacketWriter), which bounds each synchronous deflate. A
// frame that does not inflate to what it declares, or a packet over the limit, ends the stream
// with that MysqlProtocolError; in the role of a server, the peer first gets an ERR
// (ER_NET_UNCOMPRESS_ERROR or ER_NET_PACKET_TOO_LARGE), compressed, as it expects.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { CompressedPacketReader } from '../wire/compressed-packet-reader.js';
import { CompressedPacketWriter } from '../wire/compressed-packet-writer.js';
import { serializeErrPacket } from '../wire/err-packet.js';
import { type PacketScanHandler, PacketScanner } from '../wire/packet-scanner.js';
import { serializePacket } from '../wire/packet-writer.js';
import { MysqlPacketTooLargeError } from '../wire/protocol-error.js';
import { ServerError } from '../wire/server-errors.js';

/** How long a client is given to read the ERR for a bad frame before its socket is cut. */
const FAREWELL_GRACE_MS = 2000;

export interface CompressedStreamOptions {
  /** 'server': the socket's peer is a MySQL client; 'client': it is a server. */
  readonly role: 'server' | 'client';
  /** The session's capabilities, to encode the ERR a server sends on a bad frame. */
  readonly capabilities: number;
  /** Largest plain packet read; default: no limit (the database enforces its own). */
  readonly maxPacketSize?: number;
  /** zlib level for writes; default 6. */
  readonly level?: number;
}

export interface CompressedSession {
  /** The plain side: what the relay reads from and writes to. */
  readonly stream: Duplex;
  /** The plain bytes of what the login read past its OK (feed them to the reader first). */
  readonly leftover: Buffer;
}

/**
 * Puts the compressed layer between `socket` (logged in, paused, nothing of ours listening) and
 * the caller. `leftover` is what the login read past its OK, still compressed. Throws
 * MysqlProtocolError when the leftover itself is malformed.
 */
export function createCompressedStream(
  socket: Socket | Duplex,
  leftover: Buffer,
  options: CompressedStreamOptions,
): CompressedSession {
  const stream = new CompressedStream(socket, options);
  return { stream, leftover: stream.decodeLeftover(leftover) };
}

/** Walks the plain bytes written, for where packets start (nothing reported per packet). */
const BOUNDARIES_ONLY: PacketScanHandler = {
  onFrame() {},
  onPrefix() {},
  onPayload() {},
  onPacketEnd() {},
};

class CompressedStream extends Duplex {
  readonly #socket: Socket | Duplex;
  readonly #options: CompressedStreamOptions;
  readonly #reader: CompressedPacketReader;
  readonly #writer: CompressedPacketWriter;
  /** Client role only: where the packets written begin, to start each command at 0. */
  readonly #written: PacketScanner | undefined;
  /** Reused for each write's frames (a header and a body per frame). */
  readonly #frames: Buffer[] = [];
  #socketEnded = false;
  #farewell = false;

  constructor(socket: Socket | Duplex, options: CompressedStreamOptions) {
    super({ allowHalfOpen: true, decodeStrings: false });
    this.#socket = socket;
    this.#options = options;
    this.#reader = new CompressedPacketReader(
      options.maxPacketSize !== undefined ? { maxPacketSize: options.maxPacketSize } : {},
    );
    this.#writer = new CompressedPacketWriter(options.level !== undefined ? { level: options.level } : {});
    this.#written = options.role === 'client' ? new PacketScanner(BOUNDARIES_ONLY) : undefined;
    this.#writer.sequenceId = options.role === 'server' ? 1 : 0;
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
      if (this.#options.role === 'server') this.#sayFarewell(err as Error);
      else this.destroy(err as Error);
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
    // A clean close comes after the socket's end; let the reader see this side's 'end' first, as
    // it would from the socket itself, so that it is not taken for a premature close.
    if (this.#socketEnded && !this.readableEnded) this.once('end', () => this.destroy());
    else this.destroy();
  };

  override _read(): void {
    if (!this.#farewell) this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const written = this.#written;
    if (written !== undefined) {
      // A packet with id 0 from a client is a new command: its compressed sequence starts at 0.
      if (written.idle && chunk.length >= 4 && chunk[3] === 0) this.#writer.sequenceId = 0;
      written.scan(chunk);
    }
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

  /** A malformed frame from a client: it gets an ERR saying so, and the stream ends with `err`. */
  #sayFarewell(err: Error): void {
    this.#farewell = true;
    this.#socket.pause();
    const tooLarge = err instanceof MysqlPacketTooLargeError;
    const payload = serializeErrPacket(
      {
        ...(tooLarge ? ServerError.NetPacketTooLarge : ServerError.NetUncompressError),
        message: `${tooLarge ? "Got a packet bigger than 'max_allowed_packet' bytes" : "Couldn't uncompress communication packet"}: ${err.message}`,
      },
      this.#options.capabilities,
    );
    this.#sendFrames(serializePacket(payload, 1));
    this.destroy(err);
  }
}
