// The PROXY protocol header a load balancer puts before the client's first bytes. MySQL servers
// speak first, so the greeting is already out when these bytes arrive; like MariaDB, we look for
// the header at the start of whatever the client sends first.
// https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
import type { Socket } from 'node:net';
import { type ProxyHeader, parseProxyHeader } from '@gatehouse/common/proxy-protocol';
import { MysqlConnectError } from '@gatehouse/mysql-protocol';

export interface ClientPreamble {
  /** The PROXY header, when the first bytes carried one. */
  readonly header: ProxyHeader | undefined;
  /** The bytes after the header: the start of the MySQL conversation. */
  readonly rest: Buffer;
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Reads the client's first bytes until they either are or are not a PROXY header (at most the
 * header's bounded length), then pauses the socket. Throws ProxyProtocolError for a malformed
 * header, and rejects if the client goes away first.
 */
export function readClientPreamble(socket: Socket): Promise<ClientPreamble> {
  return new Promise((resolve, reject) => {
    let buffered = EMPTY;
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onError);
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let result: ReturnType<typeof parseProxyHeader>;
      try {
        result = parseProxyHeader(buffered);
      } catch (err) {
        cleanup();
        reject(err);
        return;
      }
      if (result.status === 'incomplete') return;
      cleanup();
      if (result.status === 'absent') resolve({ header: undefined, rest: buffered });
      else resolve({ header: result.header, rest: buffered.subarray(result.length) });
    };
    const onGone = (): void => {
      cleanup();
      reject(
        new MysqlConnectError(
          `${socket.remoteAddress}:${socket.remotePort}`,
          'the client closed the connection before sending anything',
        ),
      );
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(
        new MysqlConnectError(
          `${socket.remoteAddress}:${socket.remotePort}`,
          `the client connection failed: ${err.message}`,
          { cause: err },
        ),
      );
    };
    socket.on('data', onData);
    socket.on('end', onGone);
    socket.on('close', onGone);
    socket.on('error', onError);
    socket.resume();
  });
}
