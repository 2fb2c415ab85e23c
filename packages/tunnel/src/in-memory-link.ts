// A tunnel carrier for a proxy and an engine in the same process (the embedded default). The two
// TunnelConnections keep every rule of the protocol (frames, per-stream credit, heartbeats,
// control requests); only the WebSocket, its TLS and the loopback socket under it are gone, and
// with them two socket writes, two reads and four TLS record operations per query.
import { TunnelError } from './errors.js';
import type { TunnelTransport } from './frame-writer.js';

/** What one end delivers to: implemented by TunnelConnection. */
export interface TunnelPeer {
  receive(message: Buffer): void;
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
  #early: Buffer[] = [];
  #closed = false;
  readonly transport: TunnelTransport = {
    send: (message, done) => this.#send(message, done),
    close: () => this.#close(),
    terminate: () => this.#close(),
  };

  attach(peer: TunnelPeer): void {
    this.#peer = peer;
    const early = this.#early;
    this.#early = [];
    for (const message of early) peer.receive(message);
    if (this.#closed) peer.transportClosed();
  }

  #send(message: Buffer, done: (err?: Error) => void): void {
    if (this.#closed) {
      done(new TunnelError('GH_ERR_TUNNEL_CLOSED', 'in-process tunnel link is closed'));
      return;
    }
    // Delivered in a microtask, never inside the sender's call: the sender may be in the middle
    // of a frame handler, as it would be for a socket write. Microtasks keep the order.
    queueMicrotask(() => {
      this.other.#deliver(message);
      done();
    });
  }

  #deliver(message: Buffer): void {
    if (this.#closed) return;
    if (this.#peer === undefined) this.#early.push(message);
    else this.#peer.receive(message);
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
