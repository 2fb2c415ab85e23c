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

export class MysqlListener {
  readonly #ctx: FrontDoorContext;
  readonly #servers: Server[] = [];
  readonly #live = new Set<ClientConnection>();
  #draining = false;
  #onEmpty: (() => void) | undefined;

  constructor(ctx: FrontDoorContext) {
    this.#ctx = ctx;
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
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket, undefined, serverVersion));
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
    const server = createServer((socket) => this.#accept(socket, path, serverVersion));
    server.listen(path);
    await once(server, 'listening');
    await chmod(path, 0o666);
    this.#servers.push(server);
  }

  /** Adopts a socket that is already bound and listening (systemd socket activation). */
  async listenOnFd(fd: number, serverVersion?: string): Promise<AddressInfo> {
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket, undefined, serverVersion));
    server.listen({ fd });
    await once(server, 'listening');
    this.#servers.push(server);
    return server.address() as AddressInfo;
  }

  #accept(socket: Socket, unixPath: string | undefined, serverVersion: string | undefined): void {
    const ctx = this.#ctx;
    ctx.metrics.connectionsAccepted++;
    // A reset during the handshake surfaces through the connection's own listeners; this one
    // only keeps an unhandled 'error' from taking the process down.
    socket.on('error', () => {});
    applyKeepalive(socket, ctx.keepalive);
    if (this.#draining) {
      socket.destroy();
      return;
    }
    // Unix clients share one per-address count, named after the socket.
    const peer = unixPath === undefined ? (socket.remoteAddress ?? '') : `unix:${unixPath}`;
    // A trusted balancer carries many clients; their own addresses are counted after the PROXY header.
    const verdict = ctx.limits.check(unixPath === undefined && ctx.trustedNetworks.contains(peer) ? undefined : peer);
    if (!verdict.ok) {
      const err = tooManyConnections(verdict.which, verdict.limit);
      // Before the greeting the client knows no capabilities, so no SQLSTATE marker (like mysqld).
      socket.end(serializePacket(serializeErrPacket({ ...err.mysql, message: err.message }, 0), 0));
      ctx.metrics.recordFailure(err.reason);
      ctx.log.warn({ client: `${peer}:${socket.remotePort}`, limit: verdict.which, value: verdict.limit }, 'connection refused: too many connections');
      return;
    }
    ctx.limits.acquireTotal();
    const connection = new ClientConnection(ctx, socket, unixPath, serverVersion);
    this.#live.add(connection);
    void connection.run().finally(() => {
      this.#live.delete(connection);
      ctx.limits.releaseTotal();
      if (this.#live.size === 0) this.#onEmpty?.();
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
