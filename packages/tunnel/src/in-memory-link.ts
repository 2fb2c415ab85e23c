// A tunnel carrier for a proxy and an engine in the same process (the embedded default). The two
// TunnelConnections keep every rule of the protocol (frames, per-stream credit, heartbeats,
// control requests); only the WebSocket, its TLS and the loopback socket under it are gone, and
// with them two socket writes, two reads and four TLS record operations per query. Batches go
// over as segments (sendSegments): DATA payloads reach the other end as the buffers that were
// written, so a bulk read is not copied into a message on the way (nor is that copy garbage).
// A buffer written to a stream must therefore not change afterwards, as for a socket write.
import { TunnelError } from './errors.js';
import type { FrameSegment, TunnelTransport } from './frame-writer.js';

/** What one end delivers to: implemented by TunnelConnection. */
export interface TunnelPeer {
  receive(message: Buffer): void;
  receiveSegments(segments: readonly FrameSegment[]): void;
  transportClosed(err?: Error): void;
}

/** One end of an in-memory link: its transport sends to the other end's peer. */
export interface InMemoryTunnelEnd {
  readonly transport: TunnelTransport;
  /** Binds this end to its connection; messages that arrived earlier are delivered now. */
  attach(peer: TunnelPeer): void;
}

class LinkEnd implements InMemoryTunnelEnd {
  other!: LinkEnd;
  #peer: TunnelPeer | undefined;
  #early: (readonly FrameSegment[])[] = [];
  #closed = false;
  readonly transport: TunnelTransport = {
    send: (message, done) => this.#send([message], done),
    sendSegments: (segments, done) => this.#send(segments, done),
    close: () => this.#close(),
    terminate: () => this.#close(),
  };

  attach(peer: TunnelPeer): void {
    this.#peer = peer;
    const early = this.#early;
    this.#early = [];
    for (const segments of early) peer.receiveSegments(segments);
    if (this.#closed) peer.transportClosed();
  }

  #send(segments: readonly FrameSegment[], done: (err?: Error) => void): void {
    if (this.#closed) {
      done(new TunnelError('GH_ERR_TUNNEL_CLOSED', 'in-process tunnel link is closed'));
      return;
    }
    // Delivered in a microtask, never inside the sender's call: the sender may be in the middle
    // of a frame handler, as it would be for a socket write. Microtasks keep the order.
    queueMicrotask(() => {
      this.other.#deliver(segments);
      done();
    });
  }

  #deliver(segments: readonly FrameSegment[]): void {
    if (this.#closed) return;
    if (this.#peer === undefined) this.#early.push(segments);
    else this.#peer.receiveSegments(segments);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Like a socket's close: the messages already sent arrive first, then both ends hear of it.
    queueMicrotask(() => {
      this.other.#close();
      this.#peer?.transportClosed();
    });
  }
}

/** Two connected ends: what one end's transport sends, the other end's peer receives. */
export function createInMemoryTunnelLink(): readonly [InMemoryTunnelEnd, InMemoryTunnelEnd] {
  const a = new LinkEnd();
  const b = new LinkEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}
