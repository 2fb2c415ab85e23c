// The engine's answer to COM_CHANGE_USER. The gateway is the authenticator: the client proved who
// it is with its certificate on the TLS leg to the proxy, so the auth data in its COM_CHANGE_USER
// (a scramble of a password it does not have) means nothing here and is never read. What the
// command asks for is a new db user and schema; they are authorized as at connect, against the
// roles as they are now, and the engine logs in as that db user with its own credentials for
// it (an ephemeral db-client certificate, or the password-mode secret).
//
// The database leg cannot change user in place in x509 mode: the server takes the login's
// identity from the client certificate of the TLS handshake, which is bound to the leg, so a
// COM_CHANGE_USER to another db user on it would present the old certificate. The engine
// therefore always opens a new leg to the same backend, and the relay swaps it in between
// commands (one path for both modes). The new leg is a fresh server session: user variables,
// temporary tables, prepared statements and session variables are gone, as after the server's
// own COM_CHANGE_USER. What differs: CONNECTION_ID() is the new leg's (docs/conformance.md).
import type { Duplex } from 'node:stream';
import type { AuditSession, DatabaseConfig, KeepaliveConfig } from '@gatehouse/common';
import { describeClientError } from '@gatehouse/common';
import {
  type ChangeUserCommand,
  type ErrFields,
  ServerError,
  type UpstreamConnection,
} from '@gatehouse/mysql-protocol';
import type { BackendInfo, StreamOpenHeader } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { DbClientCertSigner, EngineCluster } from '../cluster/engine-cluster.js';
import { EngineError } from '../errors.js';
import { type Authorization, authorizeCurrent } from './authorize.js';
import type { CommandAudit } from './command-audit.js';
import { connectBackend } from './connect-backend.js';
import { readSessionExtensions } from './session-header.js';
import type { ThreadRegistry } from './thread-registry.js';
import { plainUpstream } from './upstream-compression.js';
import { buildUpstreamOptions, checkCapabilities } from './upstream-options.js';

/** The database leg logged in as the new db user, for the relay to swap in. */
export interface UserChangeLeg {
  readonly socket: Duplex;
  readonly leftover: Buffer;
  readonly statusFlags: number;
  readonly warnings: number;
  /**
   * The relay swaps the leg in: the change is audited and the session moves to the new db user.
   * Not called when the session ended meanwhile (the relay destroys the leg instead).
   */
  commit(): void;
}

export type UserChangeResult =
  | { readonly kind: 'ok'; readonly leg: UserChangeLeg }
  /** `denied`: the gateway refused (roles, certificate, lock), not the database. */
  | { readonly kind: 'err'; readonly err: ErrFields; readonly denied: boolean };

/** What the relay calls with a COM_CHANGE_USER, once no reply is in flight. */
export type UserChanger = (command: ChangeUserCommand) => Promise<UserChangeResult>;

export interface UserChangeContext {
  readonly header: StreamOpenHeader;
  readonly database: DatabaseConfig;
  readonly cluster: Pick<EngineCluster, 'snapshot' | 'refresh'>;
  readonly signer: DbClientCertSigner;
  readonly session: AuditSession;
  readonly audit: CommandAudit;
  readonly threads: ThreadRegistry;
  /** The backend the session logged in to: the new leg goes to the same one. */
  readonly backend: BackendInfo;
  readonly log: Logger;
  readonly timeoutMs?: number | undefined;
  readonly keepalive?: KeepaliveConfig | undefined;
  /** A new leg is in use (the session's error boundary watches it). */
  readonly onLeg: (socket: Duplex) => void;
}

/**
 * MariaDB allows three failed COM_CHANGE_USER per connection and answers every later one with
 * ER_UNKNOWN_COM_ERROR, a success not resetting the count (MDEV-3915, against brute-forcing a
 * password). The gateway takes no password, but keeps the server's rule so clients see the same.
 */
const MAX_FAILED_CHANGES = 3;

/** Holds the session's current authorization, which a successful change replaces. */
export class UserChanges {
  readonly #ctx: UserChangeContext;
  #auth: Authorization;
  #failures = 0;

  constructor(ctx: UserChangeContext, auth: Authorization) {
    this.#ctx = ctx;
    this.#auth = auth;
  }

  get auth(): Authorization {
    return this.#auth;
  }

  readonly change: UserChanger = async (command) => {
    const { header, database, session, log } = this.#ctx;
    const started = performance.now();
    const oldDbUser = session.dbUser;
    let auth: Authorization;
    let upstream: UpstreamConnection;
    let denied = true;
    try {
      if (this.#failures >= MAX_FAILED_CHANGES) {
        // The server's own words, which clients and tests match (the log says why).
        log.info({ failures: this.#failures }, 'COM_CHANGE_USER refused after too many failed ones');
        throw new EngineError('GH_ERR_ENGINE_CHANGE_USER_LIMIT', 'Unknown command', ServerError.UnknownCommand);
      }
      auth = await authorizeCurrent(this.#ctx.cluster, {
        header,
        database: { name: database.name, labels: database.labels },
        route: { dbUser: command.user, dbName: command.schema },
      });
      denied = false;
      upstream = await this.#openLeg(auth, command);
    } catch (err) {
      this.#failures++;
      const failure = describeClientError(err, {
        side: 'engine',
        database: { name: database.name, uri: this.#ctx.backend.uri },
      });
      const fields: ErrFields = { ...(failure.mysql ?? ServerError.UnknownError), message: failure.message };
      this.#ctx.audit.onUserChange(
        oldDbUser,
        command.user,
        command.schema,
        {
          kind: 'error',
          errno: fields.errno,
          sqlstate: fields.sqlState ?? 'HY000',
          message: fields.message.slice(0, 4096),
        },
        elapsed(started),
      );
      log.info({ err, dbUser: oldDbUser, newDbUser: command.user, errno: fields.errno }, 'user change refused');
      return { kind: 'err', err: fields, denied };
    }
    const duration = elapsed(started);
    // A compressed database leg (databases[].compression) is relayed as plain packets, as at login.
    const plain = plainUpstream(upstream);
    return {
      kind: 'ok',
      leg: {
        socket: plain.socket,
        leftover: plain.leftover,
        statusFlags: upstream.statusFlags,
        warnings: upstream.ok.warnings,
        commit: () => this.#commit(oldDbUser, auth, upstream, plain.socket, duration),
      },
    };
  };

  #commit(oldDbUser: string, auth: Authorization, upstream: UpstreamConnection, leg: Duplex, duration: number): void {
    const { session, log } = this.#ctx;
    this.#ctx.audit.onUserChange(oldDbUser, auth.dbUser, auth.dbName, { kind: 'ok', affected_rows: 0 }, duration);
    // The session record moves to the new db user only after the event, which names the old one.
    const user = auth.identity.user;
    if (session.threadId !== undefined) this.#ctx.threads.remove(user, session.threadId);
    this.#ctx.threads.add(user, upstream.connectionId);
    session.dbUser = auth.dbUser;
    session.dbName = auth.dbName;
    session.threadId = upstream.connectionId;
    this.#auth = auth;
    this.#ctx.onLeg(leg);
    log.info({ dbUser: auth.dbUser, oldDbUser, threadId: upstream.connectionId }, 'user changed');
  }

  async #openLeg(auth: Authorization, command: ChangeUserCommand): Promise<UpstreamConnection> {
    const { header, database, backend, log } = this.#ctx;
    const extensions = readSessionExtensions(header);
    const options = await buildUpstreamOptions(
      {
        database,
        auth,
        header,
        // The character set the client asks for now (COM_CHANGE_USER carries one), as at connect.
        extensions: { ...extensions, charset: command.characterSet || extensions.charset },
        signer: this.#ctx.signer,
        log,
        ...(this.#ctx.timeoutMs ? { timeoutMs: this.#ctx.timeoutMs } : {}),
      },
      header.sessionId,
    );
    const keepalive = this.#ctx.keepalive;
    const { upstream } = await connectBackend({
      database,
      backends: [backend],
      chosen: backend.uri,
      auth,
      header,
      options: keepalive ? { ...options, keepalive } : options,
      log,
      onAttempt: () => {},
    });
    try {
      checkCapabilities(header, upstream, database.name);
    } catch (err) {
      upstream.socket.destroy();
      throw err;
    }
    return upstream;
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
