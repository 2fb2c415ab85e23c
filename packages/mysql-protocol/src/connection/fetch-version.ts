// FetchMySQLVersion: the version a server announces in its greeting, for health checks,
// `gatectl db probe` and the version the proxy shows its clients. Given TLS options it also
// switches to TLS (SSLRequest, handshake, then hangs up without logging in), to report the
// protocol and cipher the server negotiates.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Capability, hasCapability } from '../wire/capabilities.js';
import { PacketHeader } from '../wire/constants.js';
import { formatMysqlAddress, type MysqlAddress } from './address.js';
import { MysqlTimeoutError, MysqlTlsError } from './errors.js';
import { HandshakeChannel } from './handshake-channel.js';
import { serializeSslRequest } from './handshake-response.js';
import { type HandshakeV10, parseHandshakeV10 } from './handshake-v10.js';
import { dialMysql, startClientTls, type UpstreamTlsOptions } from './transport.js';
import {
  chooseClientCapabilities,
  DEFAULT_CHARACTER_SET,
  describeTls,
  type NegotiatedTls,
  serverErrorFromPacket,
} from './upstream-login.js';

export interface FetchMysqlVersionOptions {
  /** For the dial, the greeting and the TLS handshake together. Default 5 s. */
  readonly timeoutMs?: number;
  /** Also negotiate TLS (unless the mode is disable); fails when the server offers none… */
  readonly tls?: UpstreamTlsOptions;
  /** …unless this is set: then a server without TLS is reported as such (`tls` absent). */
  readonly tlsOptional?: boolean;
  /** A PROXY protocol header written first (a server behind `proxy_protocol_networks`). */
  readonly proxyHeader?: Buffer;
}

export interface MysqlVersionInfo {
  /** Verbatim, MariaDB's `5.5.5-` prefix included. */
  readonly version: string;
  /** From starting to dial to having the greeting. */
  readonly elapsedMs: number;
  readonly handshake: HandshakeV10;
  /** What TLS the server negotiated, when TLS was asked for. */
  readonly tls?: NegotiatedTls;
}

export async function fetchMysqlVersion(
  address: MysqlAddress,
  options: FetchMysqlVersionOptions = {},
): Promise<MysqlVersionInfo> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const where = formatMysqlAddress(address);
  const started = performance.now();
  const socket = await dialMysql(address, timeoutMs);
  if (options.proxyHeader !== undefined) socket.write(options.proxyHeader);
  const channel = new HandshakeChannel(socket, where);
  const left = Math.max(1, timeoutMs - (performance.now() - started));
  const timer = setTimeout(() => channel.fail(new MysqlTimeoutError(where, 'handshake', timeoutMs)), left);
  try {
    const { payload } = await channel.readPacket();
    const elapsedMs = performance.now() - started;
    if (payload[0] === PacketHeader.Err) throw serverErrorFromPacket(payload, true, where);
    const handshake = parseHandshakeV10(payload);
    const tls = options.tls;
    const offered = hasCapability(handshake.capabilities, Capability.Ssl);
    if (tls === undefined || tls.mode === 'disable' || (!offered && options.tlsOptional === true)) {
      return { version: handshake.serverVersion, elapsedMs, handshake };
    }
    return {
      version: handshake.serverVersion,
      elapsedMs,
      handshake,
      tls: await negotiateTls(channel, address, handshake, tls, timeoutMs),
    };
  } finally {
    clearTimeout(timer);
    channel.detach();
    channel.socket.destroy();
    socket.destroy();
  }
}

async function negotiateTls(
  channel: HandshakeChannel,
  address: MysqlAddress,
  handshake: HandshakeV10,
  tls: UpstreamTlsOptions,
  timeoutMs: number,
): Promise<NegotiatedTls> {
  const where = channel.address;
  if (!hasCapability(handshake.capabilities, Capability.Ssl)) {
    throw new MysqlTlsError(
      where,
      `${where} does not offer TLS (tls mode ${tls.mode}); enable ssl on the server or set the mode to disable`,
    );
  }
  const capabilities = chooseClientCapabilities(handshake, { address, user: '' }, true);
  channel.writePacket(
    serializeSslRequest({
      capabilities,
      mariaDbCapabilities: 0,
      maxPacketSize: 1 << 24,
      characterSet: DEFAULT_CHARACTER_SET,
    }),
    1,
  );
  const plain = channel.socket as Socket;
  channel.detach();
  const secure = await startClientTls(plain, address, tls, timeoutMs);
  channel.replaceSocket(secure);
  return describeTls(secure);
}
