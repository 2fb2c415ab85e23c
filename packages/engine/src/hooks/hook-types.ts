// The connection hook API (docs/hooks.md): what an `engine.hooks` module may export and what it
// may return. Contexts are plain data (they cross into the hooks' worker thread by structured
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

/** What a hook returns (or nothing, to let the session go on unchanged). */
export interface HookResult {
  /** Refuse the session with this ERR; later hooks do not run. */
  readonly deny?: string | HookDenial;
  /** onHandshakeResponse: the backend (its uri) to log in to, instead of the routing policy's. */
  readonly backend?: string;
  /** Fields added to the session's db.session.start event (`hook_fields`). */
  readonly audit?: Readonly<Record<string, string | number | boolean>>;
}

export type HookName = 'onConnect' | 'onHandshakeResponse';

/** The merged result of every module's hook, as the session applies it. */
export interface HookOutcome {
  readonly deny?: HookDenial & { readonly module: string };
  readonly backend?: string;
  readonly audit: Readonly<Record<string, string | number | boolean>>;
}
