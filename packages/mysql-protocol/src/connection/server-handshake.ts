// The server half of the connection phase, as steps the proxy (and the test kit's fake server)
// drives: greet, read the client's hello, switch to TLS, settle the auth plugin, answer OK/ERR.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type TLSSocketOptions } from 'node:tls';
import { Capability, hasCapability } from '../wire/capabilities.js';
import { type ErrFields, serializeErrPacket } from '../wire/err-packet.js';
import { type OkFields, serializeOkPacket } from '../wire/ok-packet.js';
import { AuthPluginName, CachingSha2 } from './auth/plugins.js';
import { serializeAuthMoreData, serializeAuthSwitchRequest } from './auth-messages.js';
import { MysqlHandshakeError, MysqlTimeoutError, MysqlTlsError } from './errors.js';
import { HandshakeChannel, type HandshakePacket } from './handshake-channel.js';
import {
  type ClientHello,
  effectiveAuthPlugin,
  type HandshakeResponse41,
  parseClientHello,
} from './handshake-response.js';
import { serializeHandshakeV10 } from './handshake-v10.js';

export const SCRAMBLE_LENGTH = 20;
const DOLLAR = 0x24;

/** A CSPRNG nonce of 7-bit bytes with no NUL (clients treat it as a C string) and no '$'. */
export function createScramble(length = SCRAMBLE_LENGTH): Buffer {
  const out = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    for (const byte of randomBytes(length * 2)) {
      const b = byte & 0x7f;
      if (b === 0 || b === DOLLAR) continue;
      out[filled++] = b;
      if (filled === length) break;
    }
  }
  return out;
}

export interface ServerGreeting {
  readonly serverVersion: string;
  readonly connectionId: number;
  readonly capabilities: number;
  readonly mariaDbCapabilities?: number;
  /** Default utf8mb4_general_ci (45). */
  readonly characterSet?: number;
  /** Default SERVER_STATUS_AUTOCOMMIT. */
  readonly statusFlags?: number;
  /** Default caching_sha2_password. */
  readonly authPluginName?: string;
  readonly scramble?: Buffer;
}

export interface ServerHandshakeOptions {
  /** Bound on each read from the client; unset means no bound (the caller may close the socket). */
  readonly readTimeoutMs?: number;
  readonly address?: string;
}

/** Plugins that can finish without a password: the proxy trusts the TLS client certificate. */
const PASSWORDLESS = new Set<string>([AuthPluginName.CachingSha2Password, AuthPluginName.NativePassword]);

export class ServerHandshake {
  readonly channel: HandshakeChannel;
  readonly scramble: Buffer;
  authPluginName: string = AuthPluginName.CachingSha2Password;
  /** The client's CLIENT_* flags once known (0 before): they decide the ERR/OK encoding. */
  clientCapabilities = 0;
  /** The sequence id of the next packet we write. */
  sequenceId = 0;
  private readonly readTimeoutMs: number | undefined;
  /** Whether the client sent a password proof: a client without a password sends none and
   * expects OK at once, not the fast-auth byte (libmariadb treats that byte as an error). */
  private clientSentProof = true;

  constructor(socket: Socket, options: ServerHandshakeOptions = {}) {
    this.channel = new HandshakeChannel(socket, options.address ?? `${socket.remoteAddress}:${socket.remotePort}`);
    this.scramble = createScramble();
    this.readTimeoutMs = options.readTimeoutMs;
  }

  get socket(): Socket {
    return this.channel.socket as Socket;
  }

  /** Writes HandshakeV10 with sequence id 0. */
  sendGreeting(greeting: ServerGreeting): void {
    if (greeting.scramble) this.scramble.set(greeting.scramble.subarray(0, SCRAMBLE_LENGTH));
    this.authPluginName = greeting.authPluginName ?? AuthPluginName.CachingSha2Password;
    const payload = serializeHandshakeV10({
      serverVersion: greeting.serverVersion,
      connectionId: greeting.connectionId,
      authPluginData: this.scramble,
      capabilities: greeting.capabilities,
      ...(greeting.mariaDbCapabilities !== undefined ? { mariaDbCapabilities: greeting.mariaDbCapabilities } : {}),
      characterSet: greeting.characterSet ?? 45,
      statusFlags: greeting.statusFlags ?? 0x0002,
      authPluginName: this.authPluginName,
    });
    this.write(payload, 0);
  }

  write(payload: Uint8Array, sequenceId = this.sequenceId): void {
    this.channel.writePacket(payload, sequenceId);
    this.sequenceId = (sequenceId + 1) & 0xff;
  }

  /** Reads one packet, bounded by `readTimeoutMs`, and sets the next sequence id from it. */
  async read(): Promise<HandshakePacket> {
    const ms = this.readTimeoutMs;
    const timer =
      ms === undefined
        ? undefined
        : setTimeout(() => this.channel.fail(new MysqlTimeoutError(this.channel.address, 'handshake', ms)), ms);
    try {
      const packet = await this.channel.readPacket();
      this.sequenceId = (packet.sequenceId + 1) & 0xff;
      return packet;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads SSLRequest or HandshakeResponse41. A pre-4.1 client is refused with a typed error,
   * after which `sendErr` still encodes correctly for it.
   */
  async readClientHello(): Promise<ClientHello> {
    const { payload } = await this.read();
    if (payload.length >= 2) this.clientCapabilities = payload[0]! | (payload[1]! << 8);
    if (!hasCapability(this.clientCapabilities, Capability.Protocol41)) {
      throw new MysqlHandshakeError('the client speaks a pre-4.1 protocol, which is not supported');
    }
    const hello = parseClientHello(payload);
    this.clientCapabilities = hello.capabilities;
    return hello;
  }

  /**
   * Switches to TLS after an SSLRequest. Bytes that came with the SSLRequest (the ClientHello,
   * often) are put back on the socket first, so the TLS layer sees every byte.
   */
  async upgradeToTls(options: TLSSocketOptions): Promise<TLSSocket> {
    const plain = this.channel.socket as Socket;
    const leftover = this.channel.detach();
    if (leftover.length > 0) plain.unshift(leftover);
    const secure = new TLSSocket(plain, { ...options, isServer: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        secure.destroy();
        reject(
          new MysqlTlsError(
            this.channel.address,
            `TLS handshake with client ${this.channel.address} failed: ${err.message}`,
            { cause: err },
          ),
        );
      };
      secure.once('error', onError);
      secure.once('secure', () => {
        secure.off('error', onError);
        resolve();
      });
    });
    this.channel.replaceSocket(secure);
    return secure;
  }

  /** Reads the HandshakeResponse41 that follows TLS. */
  async readHandshakeResponse(): Promise<HandshakeResponse41> {
    const hello = await this.readClientHello();
    if (hello.kind !== 'handshake-response') throw new MysqlHandshakeError('the client sent a second SSLRequest');
    return hello;
  }

  /**
   * Brings the client to a plugin that needs no password (caching_sha2_password or
   * mysql_native_password), switching it when it answered for another one. The client's
   * proof is not checked: the proxy authenticates by certificate. Call `acceptLogin` or `sendErr` next.
   */
  async settlePasswordlessAuth(response: HandshakeResponse41): Promise<string> {
    const asked = effectiveAuthPlugin(response);
    if (PASSWORDLESS.has(asked)) {
      this.authPluginName = asked;
      this.clientSentProof = hasProof(response.authResponse);
      return asked;
    }
    this.authPluginName = AuthPluginName.CachingSha2Password;
    this.write(serializeAuthSwitchRequest(this.authPluginName, Buffer.concat([this.scramble, Buffer.from([0])])));
    // The client's answer to the switch: only whether it holds a proof matters.
    this.clientSentProof = hasProof((await this.read()).payload);
    return this.authPluginName;
  }

  /** Finishes a password-less login: fast-auth success for caching_sha2_password, then OK. */
  acceptLogin(ok: OkFields = {}): void {
    if (this.authPluginName === AuthPluginName.CachingSha2Password && this.clientSentProof) {
      this.write(serializeAuthMoreData(Buffer.from([CachingSha2.FastAuthSuccess])));
    }
    this.sendOk(ok);
  }

  sendOk(fields: OkFields = {}): void {
    this.write(serializeOkPacket(fields, this.clientCapabilities));
  }

  /** ERR in the client's encoding (no SQLSTATE marker without CLIENT_PROTOCOL_41). */
  sendErr(fields: ErrFields): void {
    this.write(serializeErrPacket(fields, this.clientCapabilities));
  }

  /** Stops the handshake's reading; returns the socket and any bytes the client already sent. */
  detach(): { socket: Socket | TLSSocket; leftover: Buffer } {
    const leftover = this.channel.detach();
    return { socket: this.channel.socket as Socket | TLSSocket, leftover };
  }
}

/** An empty auth response, or a lone NUL, is how clients say "no password". */
function hasProof(authResponse: Buffer): boolean {
  return !(authResponse.length === 0 || (authResponse.length === 1 && authResponse[0] === 0));
}

/** Whether an AuthMoreData-style client packet is caching_sha2_password's public key request. */
export function isPublicKeyRequest(payload: Buffer): boolean {
  return payload.length === 1 && payload[0] === CachingSha2.RequestPublicKey;
}
