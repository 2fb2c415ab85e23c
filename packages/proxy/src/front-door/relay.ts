// The command phase at the proxy: bytes both ways, unparsed. pipeline() honours write() returning
// false and waits for 'drain' on both legs, so a slow client stops the tunnel stream (and its
// credit stops the engine), and a slow engine stops reading from the client.
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { TunnelStream } from '@gatehouse/common';

export interface RelayResult {
  /** Why the relay ended, when it was not a clean close from either side. */
  readonly error: Error | undefined;
}

/**
 * Relays until either side finishes, then closes both. `leftover` (bytes the client sent past
 * its HandshakeResponse) goes to the engine first. If the stream dies, the client is closed.
 */
export function relaySession(client: Socket | TLSSocket, stream: TunnelStream, leftover: Buffer): Promise<RelayResult> {
  return new Promise((resolve) => {
    let pending = 2;
    let firstError: Error | undefined;
    const done = (err: Error | null | undefined): void => {
      if (err && firstError === undefined) firstError = err;
      // When one direction fails, the other must not wait for a peer that will never finish.
      if (err) {
        client.destroy();
        stream.destroy();
      }
      if (--pending === 0) resolve({ error: firstError });
    };
    if (leftover.length > 0) stream.write(leftover);
    pipeline(client, stream, done);
    pipeline(stream, client, done);
  });
}
