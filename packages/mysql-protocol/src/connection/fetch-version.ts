// FetchMySQLVersion: the version a server announces in its greeting, for health checks,
// `gatectl db probe` and the version the proxy shows its clients.
import { performance } from 'node:perf_hooks';
import { PacketHeader } from '../wire/constants.js';
import { formatMysqlAddress, type MysqlAddress } from './address.js';
import { MysqlTimeoutError } from './errors.js';
import { HandshakeChannel } from './handshake-channel.js';
import { type HandshakeV10, parseHandshakeV10 } from './handshake-v10.js';
import { dialMysql } from './transport.js';
import { serverErrorFromPacket } from './upstream-login.js';

export interface FetchMysqlVersionOptions {
  /** For the dial and the greeting together. Default 5 s. */
  readonly timeoutMs?: number;
}

export interface MysqlVersionInfo {
  /** Verbatim, MariaDB's `5.5.5-` prefix included. */
  readonly version: string;
  /** From starting to dial to having the greeting. */
  readonly elapsedMs: number;
  readonly handshake: HandshakeV10;
}

export async function fetchMysqlVersion(address: MysqlAddress, options: FetchMysqlVersionOptions = {}): Promise<MysqlVersionInfo> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const where = formatMysqlAddress(address);
  const started = performance.now();
  const socket = await dialMysql(address, timeoutMs);
  const channel = new HandshakeChannel(socket, where);
  const left = Math.max(1, timeoutMs - (performance.now() - started));
  const timer = setTimeout(() => channel.fail(new MysqlTimeoutError(where, 'handshake', timeoutMs)), left);
  try {
    const { payload } = await channel.readPacket();
    const elapsedMs = performance.now() - started;
    if (payload[0] === PacketHeader.Err) throw serverErrorFromPacket(payload, true, where);
    const handshake = parseHandshakeV10(payload);
    return { version: handshake.serverVersion, elapsedMs, handshake };
  } finally {
    clearTimeout(timer);
    channel.detach();
    socket.destroy();
  }
}
