// The hook API (docs/hooks.md): what an `engine.hooks` module may export and what it may
// return. Hook authors import these types from `@gatehouse/engine`. Contexts are plain data (they cross into the hooks' worker thread by structured
// clone), so a hook cannot reach into the engine.
import type { UnixPeer } from '@gatehouse/common';
import type { BackendInfo } from '@gatehouse/tunnel';

/** Before anything is verified: the stream header as the proxy sent it. */
export interface ConnectContext {
  readonly sessionId: string;
  readonly dbService: string;
  /** The real client address (after the proxy's PROXY protocol handling). */
  readonly clientAddress: { readonly host: string; readonly port: number };
  /** The client's connection attributes (`program_name`, `_client_name`, …). */
  readonly connectionAttributes: Readonly<Record<string, string>>;
  /** The db user and db name the client asked for, not yet authorized. */
  readonly requested: { readonly dbUser: string; readonly dbName: string };
  /** A client on the proxy's unix socket: its uid, gid, pid, executable and cgroup (SO_PEERCRED). */
  readonly unixPeer?: UnixPeer;
}

/** After the certificate and the roles allowed the session, before the database login. */
export interface HandshakeResponseContext extends ConnectContext {
  readonly user: string;
  readonly roles: readonly string[];
  readonly dbUser: string;
  readonly dbName: string;
  /** The certificate's --db-role, if any. */
  readonly dbRole?: string;
  /** The monitor's view of the database's backends. */
  readonly backends: readonly BackendInfo[];
}

export interface HookDenial {
  readonly message: string;
  /** Default 1045 (28000). */
  readonly errno?: number;
  readonly sqlState?: string;
}

/** What a hook returns (or nothing, to let the session or the command go on unchanged). */
export interface HookResult {
  /**
   * Refuse the session (default ERR 1045, 28000) or the command (default ERR 1142, 42000)
   * with this ERR; later hooks do not run.
   */
  readonly deny?: string | HookDenial;
  /** onHandshakeResponse: the backend (its uri) to log in to, instead of the routing policy's. */
  readonly backend?: string;
  /**
   * onCommand, COM_QUERY only: the text the database runs instead. The role's statement
   * checks see this text; the audit event records both.
   */
  readonly query?: string;
  /** Fields added to the audit event: db.session.start, or a command's db.session.query. */
  readonly audit?: Readonly<Record<string, string | number | boolean>>;
}

/** The session a command hook runs in: who, where, and which backend. */
export interface SessionContext {
  readonly sessionId: string;
  readonly dbService: string;
  readonly user: string;
  readonly roles: readonly string[];
  readonly dbUser: string;
  /** The schema the session logged in with (a USE later is in the command's `schema`). */
  readonly dbName: string;
  readonly clientAddress: { readonly host: string; readonly port: number };
  readonly connectionAttributes: Readonly<Record<string, string>>;
  /** The uri of the backend the session logged in to. */
  readonly backend: string;
}

/**
 * A client command as onCommand sees it. Every command but COM_QUIT, COM_STMT_CLOSE and
 * COM_STMT_SEND_LONG_DATA (which get no reply, so cannot be answered with an ERR).
 */
export interface HookCommand {
  /** The command: 'query', 'stmt_prepare', 'stmt_execute', 'init_db', 'ping', … */
  readonly kind: string;
  /** query, stmt_prepare: the SQL text; init_db, create_db, drop_db: the schema; else ''. */
  readonly text: string;
  /** True when `text` is only the first part of a command too long to read whole (>64 KiB). */
  readonly truncated: boolean;
  /** stmt_execute, stmt_fetch, stmt_reset: the statement id; else 0. */
  readonly statementId: number;
  /** The session's current schema ('' when none). */
  readonly schema: string;
}

/** How a command ended, as onResult sees it (after the reply went to the client). */
export interface ResultSummary {
  readonly kind: string;
  /** The text that ran (the rewritten one, if a hook rewrote it). */
  readonly text: string;
  readonly outcome: 'ok' | 'rows' | 'error';
  readonly rows: number;
  readonly affectedRows: number;
  readonly errno?: number;
  readonly durationMs: number;
}

export type HookName = 'onConnect' | 'onHandshakeResponse' | 'onCommand' | 'onResult';

/** The merged result of every module's hook, as the session applies it. */
export interface HookOutcome {
  readonly deny?: HookDenial & { readonly module: string };
  readonly backend?: string;
  /** onCommand: the text after every module's rewrite. */
  readonly query?: string;
  readonly audit: Readonly<Record<string, string | number | boolean>>;
}

/** Module exports, for hook authors: `export const onCommand: OnCommand = (ctx, command) => …`. */
export type HookReturn = HookResult | undefined | Promise<HookResult | undefined>;
export type OnConnect = (ctx: ConnectContext) => HookReturn;
export type OnHandshakeResponse = (ctx: HandshakeResponseContext) => HookReturn;
export type OnCommand = (ctx: SessionContext, command: HookCommand) => HookReturn;
export type OnResult = (ctx: SessionContext, summary: ResultSummary) => void | Promise<void>;
