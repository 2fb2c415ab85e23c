// One MySQL client from accept to close: DESIGN.md's connection flow steps 1–5 at the proxy, then
// the byte relay. Every step throws; `run` is the one error boundary that sends the ERR (when the
// client can read one), closes, counts and logs.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  createSessionLogger,
  describeClientError,
  forgetSessionToken,
  guardEmitter,
  type Identity,
  isGatehouseError,
  type UnixPeer,
} from '@gatehouse/common';
import type { SessionHandoff, SessionMoveResponse } from '@gatehouse/common/cluster';
import {
  Capability,
  createCompressedStream,
  type HandshakeResponse41,
  hasCapability,
  MysqlConnectError,
  negotiateCapabilities,
  ServerError,
  ServerHandshake,
} from '@gatehouse/mysql-protocol';
import { type StreamOpenHeader, TunnelError, type TunnelStream } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { readPeerChain } from './client-certificate.js';
import { ClientTunnelRelay } from './client-tunnel-relay.js';
import { FrontDoorError } from './front-door-error.js';
import { parseLoginReply, readOnePacket } from './login-reply.js';
import { type ClientPreamble, readClientPreamble } from './proxy-preamble.js';
import type { FrontDoorContext, LiveConnection, LiveSession } from './session-context.js';
import { readUnixPeer } from './unix-peer.js';

const CLOSE_GRACE_MS = 2000;
const NO_CHAIN: readonly Buffer[] = Object.freeze([]);
/** What an engine that will not take a migrating session says (it drains, or does not serve the database). */
const NO_PEER_CODES: ReadonlySet<string> = new Set(['GH_ERR_ENGINE_CLOSED', 'GH_ERR_ENGINE_NO_SUCH_DATABASE']);

interface ClientAddress {
  host: string;
  port: number;
}

export class ClientConnection implements LiveConnection {
  phase: 'handshake' | 'relay' = 'handshake';
  dbService: string | undefined;
  session: LiveSession | undefined;
  readonly #ctx: FrontDoorContext;
  readonly #plain: Socket;
  /** The version this listener announces (mysql_listen server_version); undefined: the greeting's. */
  readonly #serverVersion: string | undefined;
  /** The connection phase's channel and state; released once the relay runs. */
  #handshake: ServerHandshake | undefined;
  readonly #connectionId: number;
  /** When the client was accepted (performance.now()), for the connect-latency histogram. */
  readonly #acceptedAt = performance.now();
  /** Why the connection phase was cut short (time-out, client gone); every later step fails with it. */
  #abortError: Error | undefined;
  /** Rejects the step under way, if any. */
  #rejectStep: ((err: Error) => void) | undefined;
  #log: Logger;
  #secure: TLSSocket | undefined;
  #stream: TunnelStream | undefined;
  /** The header the session's stream was opened with (a migration opens the next with it). */
  #header: StreamOpenHeader | undefined;
  #tunnelRelay: ClientTunnelRelay | undefined;
  /** The capabilities the client and the proxy agreed on, once known. */
  #capabilities = 0;
  /** Whether the client is at a point where it reads an ERR packet as one. */
  #canReply = true;
  /** The address counted against max_connections_per_ip. */
  #countedIp: string;
  #address: ClientAddress;
  /** Who connected, when it came over a unix socket (read at accept, while the client is there). */
  readonly #unixPeer: Promise<UnixPeer> | undefined;
  /** What is known of the login so far, for the audit event if the proxy refuses it. */
  #login: { chain: Buffer[]; identity?: Identity; response?: HandshakeResponse41; sessionId?: string } = { chain: [] };

  constructor(ctx: FrontDoorContext, socket: Socket, unixPath?: string, serverVersion?: string) {
    this.#ctx = ctx;
    this.#serverVersion = serverVersion;
    this.#plain = socket;
    this.#connectionId = ctx.nextConnectionId();
    this.#address =
      unixPath === undefined
        ? { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }
        : { host: 'localhost', port: 0 };
    this.#countedIp = unixPath === undefined ? this.#address.host : `unix:${unixPath}`;
    this.#unixPeer = unixPath === undefined ? undefined : readUnixPeer(socket, unixPath, ctx.peerCredentials);
    this.#log = ctx.log.child({
      connectionId: this.#connectionId,
      client: `${this.#address.host}:${this.#address.port}`,
    });
    const address = `${this.#address.host}:${this.#address.port}`;
    this.#handshake = new ServerHandshake(socket, { address });
    // The PROXY header (if any) is read before the channel sees the client's bytes.
    this.#handshake.channel.detach();
    guardEmitter(socket, this.#handlerFailed);
    socket.once('close', () => this.#abort(new MysqlConnectError(address, 'the client closed the connection')));
  }

  /**
   * The connection's error boundary for its sockets' and stream's listeners (guardEmitter): a
   * listener that throws closes this connection, and the proxy's other clients go on.
   */
  readonly #handlerFailed = (err: unknown): void => {
    this.#ctx.metrics.recordHandlerError('front_door');
    this.#log.error({ err }, 'connection handler failed; the connection is closed');
    this.#abort(err instanceof Error ? err : new Error('connection handler failed', { cause: err }));
    this.#stream?.destroy();
    this.#secure?.destroy();
    this.#plain.destroy();
  };

  bytesFromClient = (): number => this.#plain.bytesRead;
  bytesToClient = (): number => this.#plain.bytesWritten;

  /** Drops the connection now (drain deadline, shutdown). */
  close(): void {
    this.#stream?.destroy();
    this.#plain.destroy();
  }

  /** Runs the connection to its end; never rejects. */
  async run(): Promise<void> {
    const ctx = this.#ctx;
    ctx.limits.acquireIp(this.#countedIp);
    try {
      const routed = await this.#handshakeInTime();
      if (routed !== undefined) await this.#relay(routed.stream, routed.leftover);
    } catch (err) {
      this.#fail(err);
    } finally {
      ctx.limits.releaseIp(this.#countedIp);
      ctx.metrics.recordClosed(this.dbService, this.bytesFromClient(), this.bytesToClient());
    }
  }

  /**
   * The connection phase under handshake_timeout. A function of its own: the timer (and its
   * callback's scope) would otherwise stay in run()'s suspended frame for the session's life.
   */
  async #handshakeInTime(): Promise<{ stream: TunnelStream; leftover: Buffer } | undefined> {
    const ctx = this.#ctx;
    const timer = setTimeout(() => {
      this.#abort(
        new FrontDoorError(
          'GH_ERR_PROXY_HANDSHAKE_TIMEOUT',
          `the client did not finish the connection phase within ${ctx.handshakeTimeoutMs} ms`,
          ServerError.HandshakeError,
          { reason: 'timeout' },
        ),
      );
    }, ctx.handshakeTimeoutMs);
    try {
      return await this.#handshakeAndRoute();
    } finally {
      clearTimeout(timer);
    }
  }

  #abort(err: Error): void {
    if (this.#abortError !== undefined) return;
    this.#abortError = err;
    this.#rejectStep?.(err);
  }

  /**
   * Runs one connection-phase step until it settles or the connection is aborted. Not
   * Promise.race against one long-lived abort promise: each race leaves a reaction on it that
   * holds the step's result (packets, the chain) for as long as the connection lives.
   */
  #guard<T>(step: Promise<T>): Promise<T> {
    const aborted = this.#abortError;
    if (aborted !== undefined) {
      step.catch(() => {});
      return Promise.reject(aborted);
    }
    return new Promise<T>((resolve, reject) => {
      this.#rejectStep = reject;
      step.then(
        (value) => {
          this.#rejectStep = undefined;
          resolve(value);
        },
        (err: unknown) => {
          this.#rejectStep = undefined;
          reject(err);
        },
      );
    });
  }

  /** Resolves with the stream to relay, or undefined when the engine refused the login (already answered). */
  async #handshakeAndRoute(): Promise<{ stream: TunnelStream; leftover: Buffer } | undefined> {
    const ctx = this.#ctx;
    const hs = this.#handshake!;
    const greeting = ctx.greeting();
    hs.sendGreeting({
      // The listener's own server_version wins over the proxy's and the databases'.
      serverVersion: this.#serverVersion ?? greeting.serverVersion,
      connectionId: this.#connectionId,
      capabilities: greeting.capabilities,
      mariaDbCapabilities: greeting.mariaDbCapabilities,
    });
    // The client's first packet is on its way; until it has been read, an ERR cannot be placed.
    this.#canReply = false;
    await this.#readProxyHeader();

    const hello = await this.#guard(hs.readClientHello());
    if (hello.kind === 'handshake-response') {
      this.#canReply = true;
      throw new FrontDoorError(
        'GH_ERR_PROXY_INSECURE_TRANSPORT',
        'Connections using insecure transport are prohibited; Gatehouse needs TLS with your client certificate (--ssl-cert, --ssl-key)',
        ServerError.SecureTransportRequired,
        { reason: 'insecure_transport' },
      );
    }
    this.#secure = await this.#guard(
      hs.upgradeToTls({
        secureContext: ctx.secureContext(),
        requestCert: true,
        rejectUnauthorized: false,
        ...(ctx.tlsSessions !== undefined ? { server: ctx.tlsSessions.events } : {}),
      }),
    );
    // A resumed session's peer certificate is the one of its full handshake (OpenSSL keeps it in
    // the session and the ticket); it is verified below exactly as a new one: CA, expiry, lock.
    const resumed = this.#secure.isSessionReused();
    const protocol = this.#secure.getProtocol() ?? 'unknown';
    ctx.metrics.recordTlsHandshake(protocol, resumed);
    this.#log = this.#log.child({ tls: protocol, tlsResumed: resumed });
    guardEmitter(this.#secure, this.#handlerFailed);
    const response = await this.#guard(hs.readHandshakeResponse());
    this.#canReply = true;
    this.#login.response = response;
    const negotiated = negotiateCapabilities(greeting, response);
    // OK and ERR are written in the encoding both sides agreed on.
    hs.clientCapabilities = negotiated.capabilities;
    this.#capabilities = negotiated.capabilities;
    this.#checkPerIpLimit();

    const chain = readPeerChain(this.#secure);
    this.#login.chain = chain;
    const identity = await this.#guard(ctx.verifier.verify(chain));
    this.#login.identity = identity;
    const authPlugin = await this.#guard(hs.settlePasswordlessAuth(response));
    const unixPeer = this.#unixPeer === undefined ? undefined : await this.#unixPeer;
    const header = this.#buildHeader(identity, response, chain, negotiated, authPlugin, unixPeer);
    // Kept for a migration, without the chain: the TLS socket holds the client's certificates
    // anyway, and a migration reads them from there again (1–2 KiB less per idle session).
    this.#header = { ...header, clientCertChain: NO_CHAIN };
    this.#login.sessionId = header.sessionId;
    this.dbService = header.route.dbService;
    this.#log = this.#log.child({
      sessionId: header.sessionId,
      user: identity.user,
      db: header.route.dbService,
      dbUser: header.route.dbUser,
      dbName: header.route.dbName,
    });

    const routed = await this.#guard(ctx.router.open(header, this.#log));
    this.#stream = routed.stream;
    guardEmitter(routed.stream, this.#handlerFailed);
    this.#log = this.#log.child({ engineId: routed.engineId });
    const reply = parseLoginReply(await this.#guard(readOnePacket(routed.stream)), negotiated.capabilities);
    if (reply.kind === 'err') {
      // The engine's verdict (a denial, an unreachable database): relayed as it is, then closed.
      hs.sendErr(reply.fields);
      routed.stream.destroy();
      this.#ctx.metrics.recordFailure('engine_denied');
      this.#log.info({ errno: reply.fields.errno, message: reply.fields.message }, 'engine refused the login');
      this.#closeClient();
      return undefined;
    }
    hs.acceptLogin(reply.fields);
    // Nothing can be refused any more: the chain and the HandshakeResponse (kept for a refusal's
    // audit event) would otherwise stay with the idle session for its life; so would the session
    // token, which the engine has checked (a migration gets a fresh one).
    this.#login = { chain: [] };
    forgetSessionToken(header);
    // One logger with every binding, rather than the chain of five children the connection phase
    // built (each child keeps its parent and a copy of its bindings for the session's life).
    this.#log = createSessionLogger(ctx.log, this.#log.bindings());
    ctx.metrics.recordConnected(header.route.dbService, (performance.now() - this.#acceptedAt) / 1000);
    this.session = {
      sessionId: header.sessionId,
      user: identity.user,
      roles: identity.roles,
      dbService: header.route.dbService,
      dbUser: header.route.dbUser,
      dbName: header.route.dbName,
      engineId: routed.engineId,
      clientAddr: `${this.#address.host}:${this.#address.port}`,
      program: String(
        header.connectionAttributes._program_name ??
          header.connectionAttributes.program_name ??
          header.connectionAttributes._client_name ??
          '',
      ),
      startedAt: new Date(),
    };
    const { leftover } = hs.detach();
    return { stream: routed.stream, leftover };
  }

  async #readProxyHeader(): Promise<void> {
    const ctx = this.#ctx;
    const peer = this.#address.host;
    const trusted = ctx.trustedNetworks.contains(peer);
    let preamble: ClientPreamble;
    try {
      preamble = await this.#guard(readClientPreamble(this.#plain));
    } catch (err) {
      if (!isGatehouseError(err, 'GH_ERR_PROXY_PROTOCOL')) throw err;
      throw trusted ? this.#proxyHeaderError(err) : this.#proxyHeaderError(untrustedProxyHeader(peer, err));
    }
    this.#handshake!.channel.replaceSocket(this.#plain, preamble.rest);
    this.#plain.resume();
    if (preamble.header === undefined) return;
    if (!trusted) throw this.#proxyHeaderError(untrustedProxyHeader(peer));
    if (preamble.header.kind !== 'proxied') return;
    const source = preamble.header.source;
    this.#address = { host: source.address, port: source.port };
    this.#log = this.#log.child({ client: `${source.address}:${source.port}`, via: peer });
    ctx.limits.releaseIp(this.#countedIp);
    this.#countedIp = source.address;
    ctx.limits.acquireIp(this.#countedIp);
  }

  /**
   * A PROXY header failure comes where the client's first packet (sequence 1) would be, so the
   * ERR is written as the answer to it: a client that sent a plain HandshakeResponse reads it.
   */
  #proxyHeaderError(err: Error): Error {
    this.#handshake!.sequenceId = 2;
    this.#canReply = true;
    return err;
  }

  /** A proxied client's real address is known only after the header, so its share is checked here. */
  #checkPerIpLimit(): void {
    if (this.#countedIp === this.#plain.remoteAddress) return;
    const verdict = this.#ctx.limits.checkPerIp(this.#countedIp, true);
    if (!verdict.ok) throw tooManyConnections(verdict.which, verdict.limit);
  }

  #buildHeader(
    identity: Identity,
    response: HandshakeResponse41,
    chain: Buffer[],
    negotiated: { capabilities: number; mariaDbCapabilities: number },
    authPlugin: string,
    unixPeer: UnixPeer | undefined,
  ): StreamOpenHeader {
    // A name in the HandshakeResponse overrides the certificate's; the engine authorizes the result.
    const dbUser = response.username !== '' ? response.username : (identity.route.dbUser ?? '');
    const dbName = response.database !== '' ? response.database : (identity.route.dbName ?? '');
    if (dbUser === '') {
      throw new FrontDoorError(
        'GH_ERR_PROXY_NO_DB_USER',
        `no database user: the certificate of '${identity.user}' names none and the client sent none; connect with -u <db user>`,
        ServerError.AccessDenied,
        { reason: 'no_db_user' },
      );
    }
    const sessionId = randomUUID();
    const route = { dbService: identity.route.dbService, dbUser, dbName };
    return {
      sessionId,
      clientAddress: { host: this.#address.host, port: this.#address.port },
      route,
      // The proxy takes compression off the client leg (#relay): the engine sees a plain stream.
      capabilities: (negotiated.capabilities & ~Capability.Compress) >>> 0,
      mariadbCapabilities: negotiated.mariaDbCapabilities,
      connectionAttributes: Object.fromEntries(response.attributes),
      clientCertChain: chain,
      extensions: {
        proxyId: this.#ctx.proxyId,
        charset: response.characterSet,
        maxPacketSize: response.maxPacketSize,
        authPlugin,
        ...(unixPeer !== undefined ? { unixPeer } : {}),
        ...this.#ctx.sessionTokens?.({ sessionId, user: identity.user, route }),
      },
    };
  }

  async #relay(stream: TunnelStream, leftover: Buffer): Promise<void> {
    const socket = this.#secure ?? this.#plain;
    // With CLIENT_COMPRESS the proxy takes the compressed layer off: the engine relays plain packets.
    const { stream: client, leftover: plain } = hasCapability(this.#capabilities, Capability.Compress)
      ? createCompressedStream(socket, leftover, { role: 'server', capabilities: this.#capabilities })
      : { stream: socket, leftover };
    this.phase = 'relay';
    this.#ctx.metrics.recordSessionStart(this.dbService ?? '');
    const started = Date.now();
    this.#log.info('session started');
    this.#tunnelRelay = new ClientTunnelRelay(client, stream, plain);
    // Nothing after this point answers the client with an ERR of the connection phase: its
    // channel, scramble and sequence state would otherwise stay with the idle session.
    this.#handshake = undefined;
    const result = await this.#tunnelRelay.done;
    this.#log.info(
      {
        durationMs: Date.now() - started,
        bytesFromClient: this.bytesFromClient(),
        bytesToClient: this.bytesToClient(),
        ...(result.error !== undefined ? { err: result.error } : {}),
      },
      'session ended',
    );
  }

  // --- live migration (docs/migration.md): the engine the session is on asks for these ---

  /** Stops sending the client's bytes to its engine; how many it was sent, or undefined. */
  pauseForMigration(): number | undefined {
    return this.#tunnelRelay?.pause();
  }

  resumeAfterMigration(): void {
    this.#tunnelRelay?.resume();
  }

  /**
   * Opens a stream to another engine serving the database, with the handoff and a fresh session
   * token; once that engine has logged in and rebuilt the session, the client is switched to it.
   */
  async moveTo(handoff: SessionHandoff, fromEngineId: string): Promise<SessionMoveResponse> {
    const relay = this.#tunnelRelay;
    const header = this.#header;
    const session = this.session;
    const secure = this.#secure;
    if (relay === undefined || header === undefined || session === undefined || secure === undefined)
      return { moved: false, reason: 'the session is not relaying' };
    const { sessionToken: _token, sessionTokenCert: _cert, ...extensions } = header.extensions ?? {};
    const next: StreamOpenHeader = {
      ...header,
      clientCertChain: readPeerChain(secure),
      extensions: {
        ...extensions,
        ...this.#ctx.sessionTokens?.({ sessionId: header.sessionId, user: session.user, route: header.route }),
        handoff,
      },
    };
    let routed: Awaited<ReturnType<FrontDoorContext['router']['open']>>;
    try {
      routed = await this.#ctx.router.open(next, this.#log, fromEngineId);
    } catch (err) {
      // No engine besides the one the session leaves (none to try, none registered, or the last
      // one tried is draining too); an engine that failed otherwise may take it next time.
      const cause = (err as Error).cause;
      const noPeer =
        isGatehouseError(err, 'GH_ERR_NO_ENGINE') &&
        (cause === undefined ||
          isGatehouseError(cause, 'GH_ERR_NO_ENGINE') ||
          (cause instanceof TunnelError && NO_PEER_CODES.has(cause.remoteCode ?? '')));
      return { moved: false, reason: (err as Error).message, ...(noPeer ? { noPeer } : {}) };
    }
    let reply: ReturnType<typeof parseLoginReply>;
    try {
      reply = parseLoginReply(await readOnePacket(routed.stream), this.#capabilities);
    } catch (err) {
      routed.stream.destroy();
      return { moved: false, reason: (err as Error).message };
    }
    if (reply.kind === 'err') {
      routed.stream.destroy();
      return { moved: false, reason: `engine ${routed.engineId}: ${reply.fields.message}` };
    }
    guardEmitter(routed.stream, this.#handlerFailed);
    relay.switchTo(routed.stream);
    this.#stream = routed.stream;
    this.session = { ...session, engineId: routed.engineId };
    this.#log = createSessionLogger(this.#log, { engineId: routed.engineId });
    this.#log.info({ from: fromEngineId }, 'session moved to another engine');
    return { moved: true, engineId: routed.engineId, threadId: Number(reply.fields.info ?? 0) || 0 };
  }

  #fail(err: unknown): void {
    const failure = describeClientError(err, { side: 'proxy' });
    // A refusal after TLS is a login attempt by someone with (or without) a certificate: audit it.
    // Before TLS there is no one to name, and a client that left is not a refusal.
    if (failure.mysql !== undefined && this.#secure !== undefined) {
      this.#ctx.refusals?.record({ ...this.#login, clientAddr: `${this.#address.host}:${this.#address.port}` }, err, {
        mysql: failure.mysql,
        message: failure.message,
      });
    }
    const handshake = this.#handshake;
    if (failure.mysql !== undefined && this.#canReply && !this.#plain.destroyed && handshake !== undefined) {
      try {
        handshake.sendErr({ ...failure.mysql, message: failure.message });
      } catch (writeErr) {
        this.#log.debug({ err: writeErr }, 'could not write the ERR packet');
      }
    }
    this.#stream?.destroy();
    this.#closeClient();
    this.#ctx.metrics.recordFailure(failure.reason);
    this.#log[failure.level]({ err, reason: failure.reason }, 'client connection failed before the relay');
  }

  /** Ends the client's socket after what was written, and makes sure it goes away. */
  #closeClient(): void {
    const socket = this.#secure ?? this.#plain;
    socket.end();
    setTimeout(() => this.#plain.destroy(), CLOSE_GRACE_MS).unref();
  }
}

function untrustedProxyHeader(peer: string, cause?: unknown): FrontDoorError {
  return new FrontDoorError(
    'GH_ERR_PROXY_PROTOCOL',
    `Proxy header is not accepted from ${peer}`,
    ServerError.HostNotPrivileged,
    cause === undefined ? { reason: 'proxy_header' } : { reason: 'proxy_header', cause },
  );
}

export function tooManyConnections(which: string, limit: number): FrontDoorError {
  return new FrontDoorError(
    'GH_ERR_PROXY_TOO_MANY_CONNECTIONS',
    `Too many connections: proxy.limits.${which} (${limit}) reached`,
    ServerError.ConCountError,
    { reason: 'too_many_connections' },
  );
}
