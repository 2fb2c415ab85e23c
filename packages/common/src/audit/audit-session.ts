import { isGatehouseError } from '../errors.js';
import type { UnixPeer } from '../rbac/unix-peer.js';
import type { AuditError } from './event-fields.js';

/**
 * What the audit layer needs to know about a session: a plain record the engine fills in and
 * updates (db name after USE, thread id after login). camelCase here; events are snake_case.
 */
export interface AuditSession {
  readonly id: string;
  readonly user: string;
  readonly roles: readonly string[];
  readonly dbService: string;
  dbUser: string;
  dbName: string;
  /** The real client address, "host:port". */
  readonly clientAddr: string;
  readonly engineId: string;
  readonly proxyId: string;
  /** The MySQL connection id upstream, once logged in. */
  threadId?: number;
  /** Connection attributes the client sent. */
  readonly clientAttributes: Readonly<Record<string, string>>;
  /** When the session started (ms since the epoch), for the end event's duration. */
  readonly startedAt?: number;
  /** The client's process, when it connected on the proxy's unix socket. */
  readonly unixPeer?: UnixPeer;
  /** The backend of a database cluster the session was routed to ("host:port"). */
  backend?: string;
  /** Fields connection hooks added to the start event (docs/hooks.md). */
  hookFields?: Readonly<Record<string, string | number | boolean>>;
}

function field(err: object, key: string): unknown {
  return (err as Record<string, unknown>)[key];
}

/** Turns whatever failed (an ERR from MySQL, a GatehouseError, anything) into the recorded shape. */
export function toAuditError(err: unknown): AuditError {
  if (err === null || typeof err !== 'object') return { message: String(err).slice(0, 4096) };
  const message = String(field(err, 'message') ?? err).slice(0, 4096);
  const out: { -readonly [K in keyof AuditError]: AuditError[K] } = { message };
  const errno = field(err, 'errno');
  if (typeof errno === 'number' && Number.isInteger(errno) && errno >= 0 && errno <= 65535) out.errno = errno;
  const sqlstate = field(err, 'sqlstate') ?? field(err, 'sqlState');
  if (typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate)) out.sqlstate = sqlstate;
  if (isGatehouseError(err)) out.code = err.code;
  return out;
}
