// The engine's one admin login per database for automatic database users: made on first use,
// kept open, and used by one task at a time (the statements of one task must not interleave
// with another's on the wire, and GET_LOCK belongs to the connection). A task that finds the
// connection broken (closed by wait_timeout, a restart) runs once more on a fresh one.
import type { DatabaseConfig } from '@gatehouse/common';
import { connectUpstream, type UpstreamConnection } from '@gatehouse/mysql-protocol';
import { MonitorQueryError, type MonitorRow, queryRows } from '../backends/monitor-query.js';
import { localProxyHeader } from '../backends/proxy-header.js';
import type { DbClientCertSigner } from '../cluster/engine-cluster.js';
import { buildTls, parseDatabaseAddress, readPassword, readServerPublicKey } from '../session/upstream-options.js';

export interface AdminSql {
  readonly serverVersion: string;
  readonly connectionId: number;
  query(sql: string): Promise<MonitorRow[]>;
}

export interface AdminConnectionOptions {
  readonly database: DatabaseConfig;
  readonly signer: DbClientCertSigner;
  readonly timeoutMs?: number;
  /** How long the admin's db-client certificate lives (x509 admin logins). */
  readonly certTtlMs?: number;
}

/** The database as the admin logs in: x509 with CN=name, or the password in its file. */
function adminDatabase(database: DatabaseConfig): DatabaseConfig {
  const admin = database.admin_user!;
  const auth: DatabaseConfig['auth'] =
    admin.password_file === undefined
      ? { mode: 'x509' }
      : { mode: 'password', credentials: { [admin.name]: { password_file: admin.password_file } } };
  return { ...database, auth };
}

export class AdminConnection {
  readonly #options: AdminConnectionOptions;
  #upstream: UpstreamConnection | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #closed = false;
  #onConnect: ((sql: AdminSql) => Promise<void>) | undefined;

  constructor(options: AdminConnectionOptions, onConnect?: (sql: AdminSql) => Promise<void>) {
    this.#options = options;
    this.#onConnect = onConnect;
  }

  /** Runs `task` after every task queued before it; retried once on a fresh connection if this one broke. */
  run<T>(task: (sql: AdminSql) => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail
      .then(() => this.#runNow(task))
      .finally(() => {
        // Sessions still release after a reload replaced this manager: the connection closes
        // when the last of them is done.
        if (--this.#pending === 0 && this.#closed) this.#drop();
      });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for the queued tasks, then closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
    if (this.#pending === 0) this.#drop();
  }

  #drop(): void {
    this.#upstream?.socket.destroy();
    this.#upstream = undefined;
  }

  async #runNow<T>(task: (sql: AdminSql) => Promise<T>): Promise<T> {
    const fresh = this.#upstream === undefined;
    const sql = await this.#connection();
    try {
      return await task(sql);
    } catch (err) {
      // A server's ERR leaves the connection usable; anything else (closed, timed out) does not.
      if (err instanceof MonitorQueryError) throw err;
      this.#upstream?.socket.destroy();
      this.#upstream = undefined;
      if (fresh) throw err;
      return task(await this.#connection());
    }
  }

  async #connection(): Promise<AdminSql> {
    if (this.#upstream === undefined || this.#upstream.socket.destroyed) {
      this.#upstream = await this.#login();
      const sql = this.#sqlOf(this.#upstream);
      try {
        await this.#onConnect?.(sql);
      } catch (err) {
        this.#upstream.socket.destroy();
        this.#upstream = undefined;
        throw err;
      }
      return sql;
    }
    return this.#sqlOf(this.#upstream);
  }

  #sqlOf(upstream: UpstreamConnection): AdminSql {
    const timeoutMs = this.#options.timeoutMs ?? 10_000;
    return {
      serverVersion: upstream.serverVersion,
      connectionId: upstream.connectionId,
      query: (text) => queryRows(upstream, text, timeoutMs),
    };
  }

  async #login(): Promise<UpstreamConnection> {
    const database = adminDatabase(this.#options.database);
    const name = database.admin_user!.name;
    const address = parseDatabaseAddress(database.uri);
    if (address === undefined) throw new TypeError(`database '${database.name}' has an invalid uri`);
    const notAfter = new Date(Date.now() + (this.#options.certTtlMs ?? 3_600_000));
    const input = { database, signer: this.#options.signer, auth: { dbUser: name, identity: { notAfter } } };
    const [password, tls, serverPublicKey] = await Promise.all([
      readPassword(input),
      buildTls(input),
      readServerPublicKey(input),
    ]);
    const proxyHeader = localProxyHeader(database);
    return connectUpstream({
      address,
      user: name,
      password,
      tls,
      ...(serverPublicKey !== undefined ? { serverPublicKey } : {}),
      ...(proxyHeader !== undefined ? { proxyHeader } : {}),
      attributes: new Map([['program_name', 'gatehouse-db-users']]),
      timeoutMs: this.#options.timeoutMs ?? 10_000,
    });
  }
}
