// The proxy's MySQL ports: accepts clients on TCP and unix sockets, applies the connection
// limits before anything else (answering ERR 1040 in place of the greeting, as MySQL does), and
// runs one ClientConnection each. close() drains: no new clients, a grace period for open
// sessions, then they are closed.
import { once } from 'node:events';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { applyKeepalive } from '@gatehouse/common';
import { serializeErrPacket, serializePacket } from '@gatehouse/mysql-protocol';
import { ClientConnection, tooManyConnections } from './client-connection.js';
import type { FrontDoorContext, LiveConnection } from './session-context.js';

export interface DrainOptions {
  /** How long open sessions may go on before they are closed (default 0: close at once). */
  readonly graceMs?: number;
  /** Aborting ends the grace period at once (a second SIGTERM). */
  readonly signal?: AbortSignal;
}

/**
 * Session workers (proxy.workers > 1): the listener only admits (the limits are counted here,
 * for every worker) and hands each admitted socket to a worker; the promise settles when that
 * connection has ended in the worker.
 */
export type HandOff = (
  socket: Socket,
  unixPath: string | undefined,
  serverVersion: string | undefined,
) => Promise<void>;

/** One function for every socket: a closure per socket would stay with each idle session. */
function ignoreError(): void {}

export class MysqlListener {
  readonly #ctx: FrontDoorContext;
  readonly #handOff: HandOff | undefined;
  readonly #servers: Server[] = [];
  readonly #live = new Set<ClientConnection>();
  #draining = false;
  #onEmpty: (() => void) | undefined;

  constructor(ctx: FrontDoorContext, handOff?: HandOff) {
    this.#ctx = ctx;
    this.#handOff = handOff;
  }

  /** Runs a client socket accepted elsewhere (a session worker's, from its supervisor). */
  adopt(socket: Socket, unixPath?: string, serverVersion?: string): void {
    if (unixPath === undefined) socket.setNoDelay(true);
    this.#accept(socket, unixPath, serverVersion);
  }

  /** A handing-off listener must not read the client's first bytes (a PROXY header) itself. */
  #serverOptions(): { noDelay: boolean; pauseOnConnect: boolean } {
    return { noDelay: true, pauseOnConnect: this.#handOff !== undefined };
  }

  /** Connections open now, handshaking or relaying. */
  get connections(): Iterable<LiveConnection> {
    return this.#live;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** `serverVersion`: what this listener's greeting announces (mysql_listen's server_version). */
  async listen(host: string, port: number, serverVersion?: string): Promise<AddressInfo> {
    const server = createServer(this.#serverOptions(), (socket) => this.#accept(socket, undefined, serverVersion));
    server.listen(port, host);
    await once(server, 'listening');
    this.#servers.push(server);
    return server.address() as AddressInfo;
  }

  /**
   * Listens on a unix-domain socket. A socket file left by an earlier run is replaced; any
   * other file there is an error. The socket is open to every local user (like mysqld's):
   * clients still prove who they are with their certificate over TLS, and roles may further
   * require their uid, gid or cgroup (unix_peers).
   */
  async listenUnix(path: string, serverVersion?: string): Promise<void> {
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isSocket()) await unlink(path);
    const server = createServer({ pauseOnConnect: this.#handOff !== undefined }, (socket) =>
      this.#accept(socket, path, serverVersion),
    );
    server.listen(path);
    await once(server, 'listening');
    await chmod(path, 0o666);
    this.#servers.push(server);
  }

  /** Adopts a socket that is already bound and listening (systemd socket activation). */
  async listenOnFd(fd: number, serverVersion?: string): Promise<AddressInfo> {
    const server = createServer(this.#serverOptions(), (socket) => this.#accept(socket, undefined, serverVersion));
    server.listen({ fd });
    await once(server, 'listening');
    this.#servers.push(server);
    return server.address() as AddressInfo;
  }

  #accept(socket: Socket, unixPath: string | undefined, serverVersion: string | undefined): void {
    const ctx = this.#ctx;
    // With workers, the worker that runs the connection counts it.
    if (this.#handOff === undefined) ctx.metrics.connectionsAccepted++;
    // A reset during the handshake surfaces through the connection's own listeners; this one
    // only keeps an unhandled 'error' from taking the process down.
    socket.on('error', ignoreError);
    applyKeepalive(socket, ctx.keepalive);
    if (this.#draining) {
      socket.destroy();
      return;
    }
    // Unix clients share one per-address count, named after the socket.
    const peer = unixPath === undefined ? (socket.remoteAddress ?? '') : `unix:${unixPath}`;
    // A trusted balancer carries many clients; their own addresses are counted after the PROXY header.
    const counted = unixPath === undefined && ctx.trustedNetworks.contains(peer) ? undefined : peer;
    const verdict = ctx.limits.check(counted);
    if (!verdict.ok) {
      const err = tooManyConnections(verdict.which, verdict.limit);
      // Before the greeting the client knows no capabilities, so no SQLSTATE marker (like mysqld).
      socket.end(serializePacket(serializeErrPacket({ ...err.mysql, message: err.message }, 0), 0));
      ctx.metrics.recordFailure(err.reason);
      ctx.log.warn(
        { client: `${peer}:${socket.remotePort}`, limit: verdict.which, value: verdict.limit },
        'connection refused: too many connections',
      );
      return;
    }
    ctx.limits.acquireTotal();
    if (this.#handOff !== undefined) {
      this.#dispatch(this.#handOff, socket, unixPath, serverVersion, counted);
      return;
    }
    const connection = new ClientConnection(ctx, socket, unixPath, serverVersion);
    this.#live.add(connection);
    void connection.run().finally(() => {
      this.#live.delete(connection);
      ctx.limits.releaseTotal();
      if (this.#live.size === 0) this.#onEmpty?.();
    });
  }

  #dispatch(
    handOff: HandOff,
    socket: Socket,
    unixPath: string | undefined,
    serverVersion: string | undefined,
    counted: string | undefined,
  ): void {
    const limits = this.#ctx.limits;
    if (counted !== undefined) limits.acquireIp(counted);
    void handOff(socket, unixPath, serverVersion)
      .catch((err: unknown) => {
        this.#ctx.log.warn({ err }, 'could not hand the connection to a worker');
        socket.destroy();
      })
      .finally(() => {
        limits.releaseTotal();
        if (counted !== undefined) limits.releaseIp(counted);
      });
  }

  /** Stops accepting, lets open connections run for `graceMs`, then closes what is left. */
  async close(options: DrainOptions = {}): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      for (const server of this.#servers) server.close();
    }
    const empty = new Promise<void>((resolve) => {
      if (this.#live.size === 0) resolve();
      else this.#onEmpty = resolve;
    });
    const grace = options.graceMs ?? 0;
    const signal = options.signal;
    if (grace > 0 && !signal?.aborted) {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      await Promise.race([
        empty,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, grace);
          onAbort = resolve;
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
    if (this.#live.size > 0) {
      this.#ctx.log.info({ connections: this.#live.size }, 'closing the connections left after the drain grace period');
      for (const connection of this.#live) connection.close();
    }
    await empty;
  }
}
