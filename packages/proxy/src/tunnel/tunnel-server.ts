import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { applyKeepalive, isGatehouseError, type KeepaliveConfig } from '@gatehouse/common';
import {
  createInMemoryTunnelLink,
  createWebSocketTransport,
  type InMemoryTunnelEnd,
  type RequestHandler,
  type StreamOpenHeader,
  TUNNEL_PROTOCOL_VERSION,
  TunnelConnection,
  TunnelError,
  type TunnelStream,
  type TunnelTransport,
} from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { type EngineEntry, EngineRegistry, NoEngineError, toMap } from './engine-registry.js';
import { isEngineIdOf, parseCaBundle, TunnelAuthError, verifyEnginePeer } from './peer-identity.js';

export const TUNNEL_PATH = '/v1/tunnel';

export interface TunnelServerOptions {
  /** PEMs of the host CA (and the previous one during a rotation); engine certs must chain to one. */
  readonly hostCaPems: readonly string[];
  readonly log: Logger;
  readonly heartbeatInterval?: number;
  readonly heartbeatTimeout?: number;
  /** How long a new tunnel may take to send REGISTER (default 10 s). */
  readonly registerTimeout?: number;
  readonly streamWindow?: number;
  readonly openTimeout?: number;
  /** A heartbeat round trip to `engineId` took `seconds`. */
  readonly onRoundTrip?: (engineId: string, seconds: number) => void;
  /** A stream handler threw; the tunnel reset that stream. For the metrics. */
  readonly onHandlerError?: (err: unknown) => void;
  /** TCP keepalive on engines' tunnel sockets (config proxy.tcp_keepalive; default on). */
  readonly keepalive?: KeepaliveConfig;
}

/** Engine-originated control requests: the handler learns which engine asked. */
export type EngineRequestHandler = (
  engine: EngineEntry,
  request: Parameters<RequestHandler>[0],
) => ReturnType<RequestHandler>;

export interface OpenedSession {
  readonly stream: TunnelStream;
  readonly engine: EngineEntry;
}

/**
 * The proxy's end of the reverse tunnel: authenticates engines by their host certificate,
 * keeps the registry, and opens session streams to them.
 */
export class TunnelServer {
  readonly registry = new EngineRegistry();
  readonly #options: TunnelServerOptions;
  readonly #log: Logger;
  #hostCas;
  readonly #wss: WebSocketServer;
  readonly #handlers = new Map<string, EngineRequestHandler>();
  readonly #connections = new Set<TunnelConnection>();
  #closing = false;

  constructor(options: TunnelServerOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#hostCas = parseCaBundle(options.hostCaPems);
    if (this.#hostCas.length === 0) throw new TypeError('the tunnel server needs at least one host CA certificate');
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
  }

  /**
   * Replaces the host CAs engines' certificates may chain to (a rotation, or the end of a grace
   * period). Applies to tunnels opened from now on; open ones were verified when they connected.
   */
  setHostCaPems(pems: readonly string[]): void {
    const cas = parseCaBundle(pems);
    if (cas.length === 0) throw new TypeError('the tunnel server needs at least one host CA certificate');
    this.#hostCas = cas;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Live tunnel connections, registered or not. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Registers a handler for requests engines send (e.g. audit batches). */
  handle(method: string, handler: EngineRequestHandler): void {
    this.#handlers.set(method, handler);
  }

  /**
   * Opens a session stream to an engine serving `header.route.dbService`, trying the candidates
   * in order. Throws NoEngineError when none is connected, or the last engine's error.
   */
  async openSession(header: StreamOpenHeader): Promise<OpenedSession> {
    const candidates = this.registry.pickEngines(header.route.dbService);
    let lastError: unknown;
    for (const { engine } of candidates) {
      try {
        return { stream: await engine.connection.openStream(header), engine };
      } catch (err) {
        lastError = err;
        this.#log.warn(
          { err, engineId: engine.engineId, dbService: header.route.dbService },
          'engine did not take the session',
        );
      }
    }
    throw new NoEngineError(header.route.dbService, { cause: lastError });
  }

  /** For the HTTPS server's 'upgrade' event. Returns false when the path is not the tunnel's. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(request.url ?? '/', 'https://x').pathname !== TUNNEL_PATH) return false;
    let engineId: string;
    try {
      if (this.#closing) throw new TunnelError('GH_ERR_TUNNEL_CLOSED', 'proxy is shutting down');
      engineId = verifyEnginePeer(socket as TLSSocket, this.#hostCas);
    } catch (err) {
      const status = err instanceof TunnelAuthError ? '403 Forbidden' : '503 Service Unavailable';
      this.#log.warn({ err, remoteAddress: (socket as TLSSocket).remoteAddress }, 'tunnel connection refused');
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return true;
    }
    applyKeepalive(socket as TLSSocket, this.#options.keepalive);
    this.#wss.handleUpgrade(request, socket, head, (ws) =>
      this.#acceptWebSocket(ws, socket, engineId, (socket as TLSSocket).remoteAddress ?? ''),
    );
    return true;
  }

  /**
   * A tunnel from an engine in this same process (the embedded default): an in-memory link in
   * place of the WebSocket, so no socket, TLS or ws framing sits between the two. Who the engine
   * is needs no certificate here: the process that built it vouches for it. Returns the engine's
   * end, for its TunnelClient.
   */
  connectInProcess(engineId: string): InMemoryTunnelEnd {
    if (this.#closing) throw new TunnelError('GH_ERR_TUNNEL_CLOSED', 'proxy is shutting down');
    const [proxyEnd, engineEnd] = createInMemoryTunnelLink();
    proxyEnd.attach(this.#accept(proxyEnd.transport, engineId, 'in-process'));
    return engineEnd;
  }

  #acceptWebSocket(ws: import('ws').WebSocket, socket: Duplex, engineId: string, remoteAddress: string): void {
    const log = this.#log.child({ engineId, remoteAddress });
    // Tunnel messages go to the socket as whole WebSocket frames, one write each (the transport's
    // file says why); ws keeps the reading and the control frames.
    const connection = this.#accept(createWebSocketTransport({ ws, socket, masked: false }), engineId, remoteAddress);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data) => connection.receive(data as Buffer));
    ws.on('close', () => connection.transportClosed());
    ws.on('error', (err) => {
      if (!isGatehouseError(err)) log.debug({ err }, 'tunnel socket error');
      connection.transportClosed(err);
    });
  }

  #accept(transport: TunnelTransport, engineId: string, remoteAddress: string): TunnelConnection {
    const log = this.#log.child({ engineId, remoteAddress });
    let entry: EngineEntry | undefined;
    const registerTimer = setTimeout(() => {
      log.warn('engine did not register in time');
      connection.close();
    }, this.#options.registerTimeout ?? 10_000);
    const connection: TunnelConnection = new TunnelConnection({
      transport,
      role: 'proxy',
      log,
      ...pick(this.#options, [
        'heartbeatInterval',
        'heartbeatTimeout',
        'streamWindow',
        'openTimeout',
        'onHandlerError',
      ]),
      onRoundTrip: (seconds) => this.#options.onRoundTrip?.(engineId, seconds),
      onRegistration: (kind, registration) => {
        if (!isEngineIdOf(registration.engineId, engineId) || registration.protocol !== TUNNEL_PROTOCOL_VERSION) {
          log.warn({ claimed: registration.engineId, protocol: registration.protocol }, 'engine registration refused');
          connection.close();
          return;
        }
        if (kind === 'update' && entry !== undefined) {
          this.registry.update(connection, registration);
          log.debug({ databases: registration.databases.length }, 'engine updated its databases');
          return;
        }
        clearTimeout(registerTimer);
        entry = {
          engineId: registration.engineId,
          version: registration.version,
          connection,
          remoteAddress,
          connectedAt: new Date(),
          databases: toMap(registration.databases),
          state: registration.state ?? 'serving',
        };
        this.registry.add(entry)?.connection.close();
        log.info(
          { version: registration.version, databases: registration.databases.map((d) => d.name) },
          'engine registered',
        );
      },
      onClose: (err) => {
        clearTimeout(registerTimer);
        this.#connections.delete(connection);
        if (entry !== undefined) this.registry.remove(connection, entry.engineId);
        log.info({ err }, 'engine tunnel closed');
      },
    });
    this.#connections.add(connection);
    for (const [method, handler] of this.#handlers) {
      connection.handle(method, (request) => {
        if (entry === undefined)
          throw new TunnelError('GH_ERR_TUNNEL_PROTOCOL', 'engine sent a request before registering');
        return handler(entry, request);
      });
    }
    return connection;
  }

  /** Stops accepting tunnels and closes the live ones. */
  close(): void {
    this.#closing = true;
    for (const connection of this.#connections) connection.close();
    this.#wss.close();
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
