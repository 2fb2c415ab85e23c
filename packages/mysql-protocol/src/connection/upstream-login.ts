// The engine's login to the real database: greeting → (SSLRequest → TLS) → HandshakeResponse41
// → auth exchange (AuthSwitch / AuthMoreData) → OK. Returns the socket ready for commands.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { Capability, CLIENT_MYSQL, hasCapability } from '../wire/capabilities.js';
import { PacketHeader } from '../wire/constants.js';
import { parseErrPacket } from '../wire/err-packet.js';
import { type OkPacket, parseOkPacket } from '../wire/ok-packet.js';
import { formatMysqlAddress, type MysqlAddress } from './address.js';
import {
  type AuthContext,
  AuthPluginName,
  type ClientAuthPlugin,
  createClientAuthPlugin,
  isSupportedAuthPlugin,
} from './auth/plugins.js';
import { AuthPacket, parseAuthMoreData, parseAuthSwitchRequest } from './auth-messages.js';
import {
  MysqlAuthUnsupportedError,
  MysqlHandshakeError,
  MysqlServerError,
  MysqlTimeoutError,
  MysqlTlsError,
} from './errors.js';
import { HandshakeChannel } from './handshake-channel.js';
import { type ConnectionAttributes, serializeHandshakeResponse41, serializeSslRequest } from './handshake-response.js';
import { type HandshakeV10, parseHandshakeV10 } from './handshake-v10.js';
import { dialMysql, type SocketKeepalive, startClientTls, type UpstreamTlsOptions } from './transport.js';

/** utf8mb4_general_ci: MariaDB's default and accepted by every MySQL since 5.5. */
export const DEFAULT_CHARACTER_SET = 45;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PACKET = 64 * 1024 * 1024;

/** What a caller may forward from its own client; everything else Gatehouse decides itself. */
export const FORWARDABLE_CAPABILITIES =
  Capability.FoundRows |
  Capability.LongFlag |
  Capability.NoSchema |
  Capability.Odbc |
  Capability.LocalFiles |
  Capability.IgnoreSpace |
  Capability.Interactive |
  Capability.IgnoreSigpipe |
  Capability.Transactions |
  Capability.MultiStatements |
  Capability.MultiResults |
  Capability.PsMultiResults |
  Capability.CanHandleExpiredPasswords |
  Capability.SessionTrack |
  Capability.DeprecateEof |
  Capability.OptionalResultsetMetadata |
  Capability.QueryAttributes;

/** Used when the caller asks for nothing in particular (health checks, tools). */
export const DEFAULT_UPSTREAM_CAPABILITIES =
  Capability.LongFlag | Capability.Transactions | Capability.MultiResults | Capability.PsMultiResults;

/** Always sent: protocol 4.1 with pluggable auth and long auth data. */
const REQUIRED =
  Capability.Protocol41 | Capability.SecureConnection | Capability.PluginAuth | Capability.PluginAuthLenencClientData;

export interface ConnectUpstreamOptions {
  readonly address: MysqlAddress;
  readonly user: string;
  readonly password?: string;
  readonly database?: string;
  /** Default: `disable` (a unix socket needs no TLS; TCP callers should pass a mode). */
  readonly tls?: UpstreamTlsOptions;
  /** CLIENT_* flags wanted, e.g. the client's; masked to FORWARDABLE_CAPABILITIES and the server's. */
  readonly capabilities?: number;
  /** Ask for protocol compression (CLIENT_COMPRESS) when the server offers it; default no. */
  readonly compress?: boolean;
  /** MariaDB extended capabilities wanted; masked to the server's. */
  readonly mariaDbCapabilities?: number;
  readonly attributes?: ConnectionAttributes;
  readonly characterSet?: number;
  readonly maxPacketSize?: number;
  /** For dialling, TLS and login together. Default 10 s. */
  readonly timeoutMs?: number;
  /** A pinned RSA public key for caching_sha2_password/sha256_password over plaintext. */
  readonly serverPublicKey?: string | Buffer;
  /** A PROXY protocol header written before anything else, for a server behind `proxy_protocol_networks`. */
  readonly proxyHeader?: Buffer;
  readonly log?: Logger;
  /** TCP keepalive on the database socket; default on (config engine.tcp_keepalive). */
  readonly keepalive?: SocketKeepalive;
}

export interface UpstreamConnection {
  /** Logged in and paused, with no listeners of ours left on it. */
  readonly socket: Socket | TLSSocket;
  /** Bytes already read past the final OK; feed them to the command-phase parser first. */
  readonly leftover: Buffer;
  readonly serverVersion: string;
  readonly connectionId: number;
  /** The CLIENT_* flags we sent, all of which the server supports. */
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
  readonly statusFlags: number;
  /** The plugin that completed the login. */
  readonly authPlugin: string;
  readonly tls: boolean;
  /** What TLS was negotiated (when `tls`), and whether a session of an earlier connection was resumed. */
  readonly tlsSession?: NegotiatedTls;
  readonly handshake: HandshakeV10;
  readonly ok: OkPacket;
}

export interface NegotiatedTls {
  /** e.g. TLSv1.3 */
  readonly protocol: string;
  /** OpenSSL's name, e.g. TLS_AES_256_GCM_SHA384 */
  readonly cipher: string;
  readonly resumed: boolean;
}

/** Which flags to send given the server's greeting and the caller's wishes. */
export function chooseClientCapabilities(
  server: HandshakeV10,
  options: ConnectUpstreamOptions,
  useTls: boolean,
): number {
  let caps = ((options.capabilities ?? DEFAULT_UPSTREAM_CAPABILITIES) & FORWARDABLE_CAPABILITIES) | REQUIRED;
  // Mirror bit 0: clear it for a MariaDB server (to get extended capabilities), keep it for MySQL.
  if (hasCapability(server.capabilities, CLIENT_MYSQL)) caps |= CLIENT_MYSQL;
  if (options.database) caps |= Capability.ConnectWithDb;
  if (options.attributes && options.attributes.size > 0) caps |= Capability.ConnectAttrs;
  if (useTls) caps |= Capability.Ssl;
  if (options.compress === true) caps |= Capability.Compress;
  return (caps & server.capabilities) >>> 0;
}

export async function connectUpstream(options: ConnectUpstreamOptions): Promise<UpstreamConnection> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = formatMysqlAddress(options.address);
  const started = Date.now();
  const socket = await dialMysql(options.address, timeoutMs, options.keepalive);
  if (options.proxyHeader !== undefined) socket.write(options.proxyHeader);
  const channel = new HandshakeChannel(socket, where);
  let phase: 'handshake' | 'login' = 'handshake';
  const timer = setTimeout(
    () => channel.fail(new MysqlTimeoutError(where, phase, timeoutMs)),
    Math.max(1, timeoutMs - (Date.now() - started)),
  );
  try {
    return await login(channel, options, timeoutMs, (p) => {
      phase = p;
    });
  } catch (err) {
    channel.detach();
    channel.socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function login(
  channel: HandshakeChannel,
  options: ConnectUpstreamOptions,
  timeoutMs: number,
  setPhase: (p: 'login') => void,
): Promise<UpstreamConnection> {
  const where = channel.address;
  const first = await channel.readPacket();
  if (first.payload[0] === PacketHeader.Err) throw serverErrorFromPacket(first.payload, true, where);
  const handshake = parseHandshakeV10(first.payload);
  if (!hasCapability(handshake.capabilities, Capability.Protocol41)) {
    throw new MysqlHandshakeError(`${where} does not speak protocol 4.1 (server version ${handshake.serverVersion})`);
  }
  setPhase('login');
  const tlsMode = options.tls?.mode ?? 'disable';
  const useTls = tlsMode !== 'disable';
  if (useTls && !hasCapability(handshake.capabilities, Capability.Ssl)) {
    throw new MysqlTlsError(
      where,
      `${where} does not offer TLS (tls mode ${tlsMode}); enable ssl on the server or set the mode to disable`,
    );
  }
  const capabilities = chooseClientCapabilities(handshake, options, useTls);
  const mariaDbCapabilities = hasCapability(capabilities, CLIENT_MYSQL)
    ? 0
    : ((options.mariaDbCapabilities ?? 0) & handshake.mariaDbCapabilities) >>> 0;
  const prefix = {
    capabilities,
    mariaDbCapabilities,
    maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET,
    characterSet: options.characterSet ?? DEFAULT_CHARACTER_SET,
  };
  let seq = 1;
  let tlsSession: NegotiatedTls | undefined;
  if (useTls) {
    channel.writePacket(serializeSslRequest(prefix), seq++);
    const plain = channel.socket as Socket;
    channel.detach();
    const secure = await startClientTls(plain, options.address, options.tls!, timeoutMs);
    tlsSession = describeTls(secure);
    channel.replaceSocket(secure);
  }
  const ctx: AuthContext = {
    password: options.password ?? '',
    secure: useTls || options.address.kind === 'unix',
    ...(options.serverPublicKey !== undefined ? { serverPublicKey: options.serverPublicKey } : {}),
  };
  // Answer in the server's plugin when we speak it; otherwise start with native and let the
  // server switch us.
  const initialName = isSupportedAuthPlugin(handshake.authPluginName)
    ? handshake.authPluginName
    : AuthPluginName.NativePassword;
  let plugin: ClientAuthPlugin = createClientAuthPlugin(initialName, ctx);
  const response = serializeHandshakeResponse41({
    ...prefix,
    username: options.user,
    authResponse: plugin.start(handshake.authPluginData),
    authPluginName: plugin.name,
    ...(options.database ? { database: options.database } : {}),
    ...(options.attributes ? { attributes: options.attributes } : {}),
  });
  channel.writePacket(response, seq++);
  for (;;) {
    const { payload, sequenceId } = await channel.readPacket();
    seq = (sequenceId + 1) & 0xff;
    const header = payload[0];
    if (header === PacketHeader.Ok) {
      const ok = parseOkPacket(payload, capabilities);
      const leftover = channel.detach();
      options.log?.debug(
        { server: where, plugin: plugin.name, connectionId: handshake.connectionId },
        'upstream login complete',
      );
      return {
        socket: channel.socket as Socket | TLSSocket,
        leftover,
        serverVersion: handshake.serverVersion,
        connectionId: handshake.connectionId,
        capabilities,
        mariaDbCapabilities,
        statusFlags: ok.statusFlags,
        authPlugin: plugin.name,
        tls: useTls,
        ...(tlsSession !== undefined ? { tlsSession } : {}),
        handshake,
        ok,
      };
    }
    if (header === PacketHeader.Err) {
      const err = parseErrPacket(payload, capabilities);
      if (err.kind === 'progress') continue;
      throw serverErrorFromPacket(payload, false, where);
    }
    if (header === AuthPacket.Switch) {
      const request = parseAuthSwitchRequest(payload);
      plugin = createClientAuthPlugin(request.pluginName, ctx);
      channel.writePacket(plugin.start(request.pluginData), seq);
      continue;
    }
    if (header === AuthPacket.MoreData) {
      const reply = plugin.continue(parseAuthMoreData(payload).data);
      if (reply !== undefined) channel.writePacket(reply, seq);
      continue;
    }
    if (header === AuthPacket.NextFactor) {
      throw new MysqlAuthUnsupportedError(
        'multi-factor',
        `${where} asked for a second authentication factor, which Gatehouse does not support`,
      );
    }
    throw new MysqlHandshakeError(`${where} sent an unexpected packet 0x${(header ?? 0).toString(16)} during login`);
  }
}

export function serverErrorFromPacket(payload: Buffer, beforeHandshake: boolean, where: string): MysqlServerError {
  // Servers omit the SQLSTATE marker before the handshake; parsing with PROTOCOL_41 reads it
  // only when it is there.
  const err = parseErrPacket(payload, Capability.Protocol41);
  if (err.kind === 'progress')
    return new MysqlServerError(0, 'HY000', 'unexpected progress report', beforeHandshake, where);
  return new MysqlServerError(err.errno, err.sqlState, err.message, beforeHandshake, where);
}

export function describeTls(socket: TLSSocket): NegotiatedTls {
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    resumed: socket.isSessionReused(),
  };
}
