// The command phase at the proxy: bytes both ways, unparsed. Each direction honours write()
// returning false: the source pauses until the destination's 'drain', so a slow client stops the
// tunnel stream (and its credit stops the engine), and a slow engine stops reading from the client.
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
  return new Promise((resolve) => {
    const client2stream = new Direction(client, stream);
    const stream2client = new Direction(stream, client);
    let over = false;
    const settle = (err: Error | undefined): void => {
      if (over) return;
      if (err === undefined && !(client2stream.done && stream2client.done)) return;
      over = true;
      if (err !== undefined) {
        // When one direction fails, the other must not wait for a peer that will never finish.
        client.destroy();
        stream.destroy();
      }
      client2stream.stop();
      stream2client.stop();
      resolve({ error: err });
    };
    client2stream.start(settle);
    stream2client.start(settle);
    if (leftover.length > 0) stream.write(leftover);
  });
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
  #settle: (err: Error | undefined) => void = () => {};

  constructor(source: Duplex, target: Duplex) {
    this.#source = source;
    this.#target = target;
    this.#out = new WriteCoalescer({ target, pause: () => source.pause(), resume: () => source.resume() });
  }

  get done(): boolean {
    return this.#sourceEnded && this.#targetFinished;
  }

  readonly #onData = (chunk: Buffer): void => this.#out.write(chunk);
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
    // The connection phase paused the client's socket; a 'data' listener alone does not resume it.
    this.#source.resume();
  }

  stop(): void {
    this.#source.off('data', this.#onData);
    this.#source.off('end', this.#onEnd);
    this.#source.off('close', this.#onClose);
    this.#out.discard();
    this.#target.off('finish', this.#onFinish);
    this.#target.off('close', this.#onTargetClose);
    // 'error' stays: a late error on a destroyed socket must not become an uncaught exception.
  }
}
