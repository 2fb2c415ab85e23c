// The engine's half of the login, as the proxy sees it: after accepting the stream the engine
// writes exactly one MySQL packet, OK or ERR (sequence id 0), and then the command phase is raw
// bytes. The proxy re-encodes that one packet for its client, then stops parsing.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
import type { Readable } from 'node:stream';
import { GatehouseError } from '@gatehouse/common';
import {
  Capability,
  type ErrFields,
  MysqlProtocolError,
  type OkFields,
  PacketHeader,
  parseErrPacket,
  parseOkPacket,
} from '@gatehouse/mysql-protocol';

/** An OK or ERR carries a message at most; anything larger is not a login reply. */
const MAX_REPLY = 64 * 1024;
const HEADER = 4;

export type LoginReply =
  | { readonly kind: 'ok'; readonly fields: OkFields }
  | { readonly kind: 'err'; readonly fields: ErrFields };

function replyError(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('GH_ERR_PROXY_ENGINE_REPLY', message, cause === undefined ? undefined : { cause });
}

/** Reads one packet and pauses `stream`; bytes after it are put back for the relay. */
export function readOnePacket(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onEnd);
      stream.pause();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      if (chunks.length > 1) {
        chunks.length = 0;
        chunks.push(head);
      }
      if (size < HEADER) return;
      const length = head[0]! | (head[1]! << 8) | (head[2]! << 16);
      if (length > MAX_REPLY) {
        cleanup();
        reject(replyError(`the engine's login reply announced ${length} bytes, more than an OK or ERR can hold`));
        return;
      }
      if (size < HEADER + length) return;
      cleanup();
      if (size > HEADER + length) stream.unshift(head.subarray(HEADER + length));
      resolve(head.subarray(HEADER, HEADER + length));
    };
    const onEnd = (): void => {
      cleanup();
      reject(replyError('the engine closed the session stream before answering the login'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(replyError(`the session stream failed before the engine answered the login: ${err.message}`, err));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
  });
}

/**
 * Decodes the engine's reply. The engine encodes for the client's capabilities from the stream
 * header; it is parsed with them and re-encoded by the handshake with the right sequence id.
 */
export function parseLoginReply(payload: Buffer, clientCapabilities: number): LoginReply {
  try {
    if (payload[0] === PacketHeader.Ok) {
      const ok = parseOkPacket(payload, clientCapabilities);
      return {
        kind: 'ok',
        fields: {
          affectedRows: ok.affectedRows,
          lastInsertId: ok.lastInsertId,
          statusFlags: ok.statusFlags,
          warnings: ok.warnings,
          info: ok.info,
          sessionStateChanges: ok.sessionStateChanges,
        },
      };
    }
    if (payload[0] === PacketHeader.Err) {
      // Always parsed as 4.1: the engine writes the SQLSTATE marker, and a missing one is tolerated.
      const err = parseErrPacket(payload, clientCapabilities | Capability.Protocol41);
      if (err.kind === 'err')
        return { kind: 'err', fields: { errno: err.errno, sqlState: err.sqlState, message: err.message } };
    }
  } catch (err) {
    if (err instanceof MysqlProtocolError)
      throw replyError(`the engine's login reply is malformed: ${err.message}`, err);
    throw err;
  }
  throw replyError(
    `the engine answered the login with a packet of type 0x${(payload[0] ?? 0).toString(16)}, not OK or ERR`,
  );
}
