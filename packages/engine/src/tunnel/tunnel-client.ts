import type { Socket } from 'node:net';
import { applyKeepalive, type KeepaliveConfig } from '@gatehouse/common';
import {
  createWebSocketTransport,
  type DatabaseInfo,
  type EngineRegistration,
  type EngineState,
  type IncomingStream,
  type InMemoryTunnelEnd,
  type RequestHandler,
  TUNNEL_PROTOCOL_VERSION,
  TunnelConnection,
  TunnelError,
  type TunnelReply,
  type TunnelTransport,
} from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { type BackoffOptions, computeBackoff } from './backoff.js';

/** The engine's current host identity. Renewal (from the identity work) swaps what this returns. */
export interface TunnelCredentials {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** The host CA PEM(s) the proxy's certificate must chain to. */
  readonly ca: string | Buffer | readonly (string | Buffer)[];
}

export interface TunnelClientOptions {
  /** e.g. wss://proxy.example:3080/v1/tunnel */
  readonly url: string;
  /** Called before every dial, so a renewed cert is picked up on the next connection. */
  readonly getCredentials: () => TunnelCredentials | Promise<TunnelCredentials>;
  /**
   * The proxy runs in this same process: each dial takes an in-memory link from it
   * (TunnelServer.connectInProcess) instead of a wss connection, and `url` and `getCredentials`
   * are not used.
   */
  readonly connectInProcess?: () => InMemoryTunnelEnd;
  readonly engineId: string;
  readonly version: string;
  readonly databases: readonly DatabaseInfo[];
  /** A session stream from the proxy: accept() it and run the session, or reject() it. */
  readonly onStream: (incoming: IncomingStream) => void;
  /** A stream handler threw; the tunnel reset that stream. For the metrics. */
  readonly onHandlerError?: (err: unknown) => void;
  readonly log: Logger;
  readonly backoff?: BackoffOptions;
  readonly heartbeatInterval?: number;
  readonly heartbeatTimeout?: number;
  readonly streamWindow?: number;
  /** Bound on the WebSocket opening handshake (default 10 s). */
  readonly handshakeTimeout?: number;
  /** Called when the tunnel comes up or goes down. */
  readonly onStateChange?: (state: TunnelClientState) => void;
  /** TCP keepalive on the tunnel socket (config engine.tcp_keepalive); default on. */
  readonly keepalive?: KeepaliveConfig;
}

export type TunnelClientState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * The engine's end of the reverse tunnel: dials the proxy with mTLS, registers its databases,
 * serves session streams, and dials again with backoff whenever the tunnel drops.
 */
export class TunnelClient {
  readonly #options: TunnelClientOptions;
  readonly #log: Logger;
  readonly #handlers = new Map<string, RequestHandler>();
  #databases: readonly DatabaseInfo[];
  #engineState: EngineState = 'serving';
  #connection: TunnelConnection | undefined;
  #ws: WebSocket | undefined;
  #state: TunnelClientState = 'disconnected';
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TunnelClientOptions) {
    this.#options = options;
    this.#log = options.log.child({ engineId: options.engineId });
    this.#databases = options.databases;
  }

  get state(): TunnelClientState {
    return this.#state;
  }

  /** The live tunnel connection, for stats; undefined while disconnected. */
  get connection(): TunnelConnection | undefined {
    return this.#connection;
  }

  start(): void {
    if (this.#closed || this.#ws !== undefined || this.#connection !== undefined || this.#timer !== undefined) return;
    void this.#dial();
  }

  /** Replaces the databases this engine serves and tells the proxy (UPDATE) if connected. */
  updateDatabases(databases: readonly DatabaseInfo[]): void {
    this.#databases = databases;
    this.#connection?.sendRegistration('update', this.#registration());
  }

  /** Tells the proxy (UPDATE) that this engine takes new sessions or is draining; kept across reconnects. */
  setEngineState(state: EngineState): void {
    if (this.#engineState === state) return;
    this.#engineState = state;
    this.#connection?.sendRegistration('update', this.#registration());
  }

  /** Handles control requests the proxy sends. Takes effect from the next connection on. */
  handle(method: string, handler: RequestHandler): void {
    this.#handlers.set(method, handler);
    this.#connection?.handle(method, handler);
  }

  /** Sends a control request to the proxy (e.g. an audit batch) and waits for its answer. */
  request(method: string, body: unknown, blobs?: readonly Uint8Array[], timeout?: number): Promise<TunnelReply> {
    const connection = this.#connection;
    if (connection === undefined || connection.closed) {
      return Promise.reject(new TunnelError('GH_ERR_TUNNEL_NOT_CONNECTED', 'the engine is not connected to a proxy'));
    }
    return connection.request(method, body, blobs, timeout);
  }

  /** Stops reconnecting and closes the tunnel. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connection?.close();
    this.#ws?.terminate();
    this.#setState('closed');
  }

  #registration(): EngineRegistration {
    return {
      engineId: this.#options.engineId,
      version: this.#options.version,
      protocol: TUNNEL_PROTOCOL_VERSION,
      databases: [...this.#databases],
      state: this.#engineState,
    };
  }

  #setState(state: TunnelClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
  }

  /** The connection over `transport`, registered; the caller feeds it messages and the close. */
  #openConnection(transport: TunnelTransport, onClose: (err: Error | undefined) => void): TunnelConnection {
    this.#attempt = 0;
    const connection = new TunnelConnection({
      transport,
      role: 'engine',
      log: this.#log,
      ...(this.#options.heartbeatInterval === undefined ? {} : { heartbeatInterval: this.#options.heartbeatInterval }),
      ...(this.#options.heartbeatTimeout === undefined ? {} : { heartbeatTimeout: this.#options.heartbeatTimeout }),
      ...(this.#options.streamWindow === undefined ? {} : { streamWindow: this.#options.streamWindow }),
      onStream: this.#options.onStream,
      ...(this.#options.onHandlerError === undefined ? {} : { onHandlerError: this.#options.onHandlerError }),
      onClose,
    });
    for (const [method, handler] of this.#handlers) connection.handle(method, handler);
    this.#connection = connection;
    connection.sendRegistration('register', this.#registration());
    return connection;
  }

  #dialInProcess(connect: () => InMemoryTunnelEnd): void {
    let end: InMemoryTunnelEnd;
    try {
      end = connect();
    } catch (err) {
      this.#log.warn({ err }, 'in-process tunnel unavailable');
      this.#scheduleReconnect();
      return;
    }
    const connection = this.#openConnection(end.transport, (err) => {
      if (err !== undefined) this.#log.warn({ err }, 'tunnel lost');
      if (this.#connection === connection) this.#connection = undefined;
      if (!this.#closed) {
        this.#setState('disconnected');
        this.#scheduleReconnect();
      }
    });
    end.attach(connection);
    this.#log.info('tunnel connected in process');
    this.#setState('connected');
  }

  async #dial(): Promise<void> {
    this.#setState('connecting');
    if (this.#options.connectInProcess !== undefined) {
      this.#dialInProcess(this.#options.connectInProcess);
      return;
    }
    let credentials: TunnelCredentials;
    try {
      credentials = await this.#options.getCredentials();
    } catch (err) {
      this.#log.warn({ err }, 'engine credentials unavailable');
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) return;
    const ws = new WebSocket(this.#options.url, {
      cert: credentials.cert,
      key: credentials.key,
      ca: credentials.ca as string | Buffer | (string | Buffer)[],
      minVersion: 'TLSv1.2',
      perMessageDeflate: false,
      handshakeTimeout: this.#options.handshakeTimeout ?? 10_000,
      maxPayload: 8 * 1024 * 1024,
      // Masking guards browsers' HTTP caches; over mTLS between our own processes it only costs a
      // copy of every payload, and ws skips that copy for an all-zero mask. (Tunnel messages bypass
      // ws's sender, with the same zero key; this covers the few frames ws still writes.)
      generateMask: (mask: Buffer) => mask.fill(0),
    });
    ws.binaryType = 'nodebuffer';
    this.#ws = ws;
    let connection: TunnelConnection | undefined;
    let socket: Socket | undefined;
    // The upgraded socket, for whole-frame writes (see createWebSocketTransport); 'upgrade' comes before 'open'.
    ws.on('upgrade', (response) => {
      socket = response.socket;
      applyKeepalive(socket, this.#options.keepalive);
    });
    ws.on('open', () => {
      if (socket === undefined) {
        this.#log.warn('tunnel opened without its socket');
        ws.terminate();
        return;
      }
      const transport = createWebSocketTransport({ ws, socket, masked: true });
      connection = this.#openConnection(transport, (err) => {
        if (err !== undefined) this.#log.warn({ err }, 'tunnel lost');
        ws.terminate();
      });
      this.#log.info({ url: this.#options.url }, 'tunnel connected');
      this.#setState('connected');
    });
    ws.on('message', (data) => connection?.receive(data as Buffer));
    ws.on('unexpected-response', (_request, response) => {
      this.#log.warn({ status: response.statusCode }, 'proxy refused the tunnel');
      ws.terminate();
    });
    ws.on('error', (err) => this.#log.debug({ err }, 'tunnel socket error'));
    ws.on('close', () => {
      connection?.transportClosed();
      if (this.#connection === connection) this.#connection = undefined;
      if (this.#ws === ws) this.#ws = undefined;
      if (!this.#closed) {
        this.#setState('disconnected');
        this.#scheduleReconnect();
      }
    });
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    const delay = computeBackoff(this.#attempt++, this.#options.backoff);
    this.#log.debug({ delay, attempt: this.#attempt }, 'tunnel reconnect scheduled');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#dial();
    }, delay);
    this.#timer.unref();
  }
}

export function createTunnelClient(options: TunnelClientOptions): TunnelClient {
  return new TunnelClient(options);
}
