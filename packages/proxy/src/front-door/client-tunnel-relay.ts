// The command phase at the proxy: bytes both ways, unparsed. Each direction honours write()
// returning false: the source pauses until the destination's 'drain', so a slow client stops the
// tunnel stream (and its credit stops the engine), and a slow engine stops reading from the client.
// A live migration (docs/migration.md) pauses the client's bytes, then switches the client to a
// stream to another engine: the old stream's last bytes reach the client before the new one's.
//
// Hand-rolled rather than two stream.pipeline() calls: pipeline's end-of-stream tracking keeps
// about 60 closures and contexts per session alive (some 10 KiB per idle session); this keeps
// six listeners per direction.
//
// Each direction writes through a WriteCoalescer: the chunks of one event-loop turn leave as
// writes of about one TLS record each, so a result of many small rows costs the client's TLS
// socket one record and one write per 16 KiB rather than one per chunk.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { TunnelError, type TunnelStream, WriteCoalescer } from '@gatehouse/tunnel';

export interface RelayResult {
  /** Why the relay ended, when it was not a clean close from either side. */
  readonly error: Error | undefined;
}

/**
 * Relays until both directions have ended (each source's end is passed on as the other side's
 * end), then resolves. `leftover` (bytes the client sent past its HandshakeResponse) goes to the
 * engine first. An error, or either side closing before it ended both ways, destroys both.
 */
export function relaySession(
  client: Socket | TLSSocket | Duplex,
  stream: TunnelStream,
  leftover: Buffer,
): Promise<RelayResult> {
  return new ClientTunnelRelay(client, stream, leftover).done;
}

/** The relay of one session, which a live migration can pause and switch to another stream. */
export class ClientTunnelRelay {
  readonly done: Promise<RelayResult>;
  readonly #client: Socket | TLSSocket | Duplex;
  #stream: TunnelStream;
  #client2stream: Direction;
  #stream2client: Direction | undefined;
  /** Client bytes written to the current stream (leftover included). */
  #sentBefore = 0;
  #paused = false;
  #over = false;
  #resolve!: (result: RelayResult) => void;
  /** Bumped on every switch: the old stream's late events settle nothing. */
  #generation = 0;

  constructor(client: Socket | TLSSocket | Duplex, stream: TunnelStream, leftover: Buffer) {
    this.#client = client;
    this.#stream = stream;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#client2stream = new Direction(client, stream);
    this.#stream2client = new Direction(stream, client);
    this.#client2stream.start(this.#settler());
    this.#stream2client.start(this.#settler());
    if (leftover.length > 0) {
      stream.write(leftover);
      this.#sentBefore = leftover.length;
    }
  }

  get stream(): TunnelStream {
    return this.#stream;
  }

  #settler(): (err: Error | undefined) => void {
    const generation = this.#generation;
    return (err) => {
      if (generation === this.#generation) this.#settle(err);
    };
  }

  #settle(err: Error | undefined): void {
    if (this.#over) return;
    const toClient = this.#stream2client;
    if (err === undefined && !(this.#client2stream.done && toClient !== undefined && toClient.done)) return;
    this.#over = true;
    if (err !== undefined) {
      // When one direction fails, the other must not wait for a peer that will never finish.
      this.#client.destroy();
      this.#stream.destroy();
    }
    this.#client2stream.stop();
    toClient?.stop();
    this.#resolve({ error: err });
  }

  /** Stops sending the client's bytes to the engine; returns how many it was sent in all. */
  pause(): number {
    if (!this.#paused && !this.#over) {
      this.#paused = true;
      this.#client2stream.stop(true);
      this.#client.pause();
    }
    return this.#sentBefore + this.#client2stream.bytes;
  }

  /** Sends the client's bytes to the engine again after pause(). */
  resume(): void {
    if (!this.#paused || this.#over) return;
    this.#paused = false;
    this.#sentBefore += this.#client2stream.bytes;
    this.#client2stream = new Direction(this.#client, this.#stream);
    this.#client2stream.start(this.#settler());
  }

  /**
   * The session continues on `next` (paused before, nothing of the client in flight): the
   * client's bytes go to it at once, its bytes reach the client once the old stream has ended.
   */
  switchTo(next: TunnelStream): void {
    if (this.#over) {
      next.destroy();
      return;
    }
    const old = this.#stream;
    this.#client2stream.stop(true);
    this.#stream2client?.stop(true);
    this.#generation++;
    this.#stream = next;
    this.#sentBefore = 0;
    this.#paused = false;
    this.#stream2client = undefined;
    const settle = this.#settler();
    // The old stream's last replies first; its end is not the client's.
    const tail = (chunk: Buffer): void => {
      this.#client.write(chunk);
    };
    let switched = false;
    const takeNext = (): void => {
      if (switched) return;
      switched = true;
      old.off('data', tail);
      if (this.#over || this.#generation !== generation) return;
      this.#stream2client = new Direction(next, this.#client);
      this.#stream2client.start(settle);
    };
    const generation = this.#generation;
    old.on('error', () => {});
    old.on('data', tail);
    old.once('end', takeNext);
    old.once('close', takeNext);
    old.resume();
    old.end();
    this.#client2stream = new Direction(this.#client, next);
    this.#client2stream.start(settle);
  }
}

function prematureClose(): TunnelError {
  return new TunnelError('GH_ERR_TUNNEL_CLOSED', 'the connection closed before the session ended');
}

/** One direction: `source`'s bytes and end go to `target`. */
class Direction {
  readonly #source: Duplex;
  readonly #target: Duplex;
  readonly #out: WriteCoalescer;
  #sourceEnded = false;
  #targetFinished = false;
  /** Bytes passed on so far. */
  bytes = 0;
  #settle: (err: Error | undefined) => void = () => {};

  constructor(source: Duplex, target: Duplex) {
    this.#source = source;
    this.#target = target;
    this.#out = new WriteCoalescer({ target, pause: () => source.pause(), resume: () => source.resume() });
  }

  get done(): boolean {
    return this.#sourceEnded && this.#targetFinished;
  }

  readonly #onData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    this.#out.write(chunk);
  };
  readonly #onEnd = (): void => {
    this.#sourceEnded = true;
    this.#out.end();
    this.#settle(undefined);
  };
  readonly #onFinish = (): void => {
    this.#targetFinished = true;
    this.#settle(undefined);
  };
  readonly #onError = (err: Error): void => this.#settle(err);
  readonly #onClose = (): void => {
    // A source gone before its end (a reset, a destroyed stream) is not a clean finish.
    if (!this.#sourceEnded) this.#settle(prematureClose());
  };
  readonly #onTargetClose = (): void => {
    // Nothing can reach a closed target any more, so its source has no reason to stay open.
    if (!this.done) this.#settle(prematureClose());
  };

  start(settle: (err: Error | undefined) => void): void {
    this.#settle = settle;
    this.#target.on('finish', this.#onFinish);
    this.#target.on('close', this.#onTargetClose);
    this.#source.on('end', this.#onEnd);
    this.#source.on('error', this.#onError);
    this.#source.on('close', this.#onClose);
    this.#source.on('data', this.#onData);
    // A source that ended, or was cut, while no direction listened (a client gone during a
    // migration's pause).
    if (this.#source.readableEnded) queueMicrotask(this.#onEnd);
    else if (this.#source.destroyed) queueMicrotask(() => this.#settle(prematureClose()));
    // The connection phase paused the client's socket; a 'data' listener alone does not resume it.
    this.#source.resume();
  }

  /**
   * Detaches from both ends. `flush` writes what the coalescer still holds first: a migration's
   * pause or switch stops a direction whose target lives on, and the bytes it has counted must
   * arrive; a failed relay drops them.
   */
  stop(flush = false): void {
    this.#source.off('data', this.#onData);
    this.#source.off('end', this.#onEnd);
    this.#source.off('close', this.#onClose);
    if (flush) this.#out.flush();
    this.#out.discard();
    this.#target.off('finish', this.#onFinish);
    this.#target.off('close', this.#onTargetClose);
    // 'error' stays: a late error on a destroyed socket must not become an uncaught exception.
  }
}
