// Every error Gatehouse raises on purpose is a GatehouseError with a stable code from this
// table. Callers match on `code`, never on message text. docs/errors.md documents each code;
// a test keeps the two in step.
import { MYSQL_ERROR_CODES, MysqlError } from '@gatehouse/mysql-protocol';

export const ERROR_CODES = {
  GH_ERR_INTERNAL: 'An unexpected failure inside Gatehouse; the message and its cause say more.',
  GH_ERR_USAGE: 'A command was called with arguments it does not accept.',
  GH_ERR_CONFIG: 'A configuration file or value is invalid; the message names the path and the reason.',
  // MySQL wire and connection phase: kept by @gatehouse/mysql-protocol, which depends on nothing here.
  ...MYSQL_ERROR_CODES,
  // --- MySQL client commands ---
  // --- MySQL response tracking ---
  // --- identity, PKI and RBAC ---
  GH_ERR_CERT_MALFORMED: 'A client certificate chain is missing or cannot be parsed.',
  GH_ERR_CERT_UNKNOWN_CA:
    'A certificate was not signed by a CA that Gatehouse currently trusts (or its signature is invalid).',
  GH_ERR_CERT_EXPIRED: 'A certificate is past its notAfter time; issue a new one with gatectl auth sign.',
  GH_ERR_CERT_NOT_YET_VALID: 'A certificate is not valid yet, beyond the one minute of clock skew allowed.',
  GH_ERR_CERT_WRONG_USAGE: 'A certificate lacks the extended key usage its role needs (clientAuth for user certs).',
  GH_ERR_CERT_BAD_EXTENSION:
    'A user certificate lacks the Gatehouse identity extension, or the extension cannot be decoded.',
  GH_ERR_IDENTITY_LOCKED:
    'The user named by a certificate is locked (gatectl lock); the message carries the lock reason.',
  GH_ERR_SESSION_TOKEN:
    "A proxy's session token was refused by the engine: malformed, expired, replayed, signed by an unknown key, not verifying, or naming another session; the reason is logged and counted.",
  GH_ERR_CA_NOT_INITIALIZED: "The data directory has no certificate authorities yet; run 'gatectl ca init'.",
  GH_ERR_CA_STORAGE: 'The certificate authorities in the data directory are unreadable or inconsistent.',
  GH_ERR_CERT_ISSUE:
    "A certificate cannot be issued with the given parameters (unknown user, TTL beyond the roles' cap, …).",
  // --- store (users, roles, tokens, locks) ---
  GH_ERR_STORE_IO: 'Reading or writing the state store failed; the message names the file or directory.',
  GH_ERR_STORE_CORRUPT: 'A stored object failed validation; the message names the file, the path and the reason.',
  GH_ERR_STORE_NOT_FOUND: 'The named user, role, token or lock does not exist.',
  GH_ERR_STORE_EXISTS: 'An object with that name already exists; replace it explicitly (e.g. --force).',
  GH_ERR_STORE_CONFLICT: 'The object changed since it was read (compare-and-swap lost); read it again and retry.',
  GH_ERR_STORE_LOCK_TIMEOUT: 'The state store lock stayed held by another process for too long.',
  GH_ERR_STORE_SCHEMA_NEWER:
    'The PostgreSQL schema was migrated by a newer Gatehouse than this process; upgrade the process instead.',
  GH_ERR_STORE_KEY:
    'The storage encryption key (storage.encryption_key_file or its env var) is missing or wrong, or a stored key cannot be decrypted with it.',
  GH_ERR_UNKNOWN_ROLE: 'A user refers to a role that does not exist.',
  GH_ERR_TOKEN_INVALID: 'A provisioning token is unknown or was already used.',
  GH_ERR_TOKEN_EXPIRED: 'A provisioning token has expired.',
  // --- PROXY protocol ---
  GH_ERR_PROXY_PROTOCOL:
    'A PROXY protocol header was malformed, or came from a peer outside proxy.proxy_protocol.trusted_networks.',

  // --- tunnel, proxy and engine ---
  GH_ERR_TUNNEL_PROTOCOL:
    'A tunnel peer sent a malformed frame or broke the tunnel protocol; the connection is closed.',
  GH_ERR_TUNNEL_CLOSED: 'The tunnel connection closed while a stream or request still needed it.',
  GH_ERR_TUNNEL_HEARTBEAT: 'The tunnel peer missed its heartbeats and is treated as dead.',
  GH_ERR_TUNNEL_TIMEOUT: 'A tunnel stream open or request got no answer in time.',
  GH_ERR_TUNNEL_STREAM_RESET: 'The peer reset a tunnel stream; the reason is in the message.',
  GH_ERR_TUNNEL_STREAM_REJECTED: 'An engine refused to open a stream for a session; the reason is in the message.',
  GH_ERR_TUNNEL_REQUEST_FAILED:
    "A control request over the tunnel failed on the peer; the peer's code and message are kept.",
  GH_ERR_TUNNEL_AUTH: 'An engine presented no client certificate, or one that does not chain to the host CA.',
  GH_ERR_TUNNEL_NOT_CONNECTED: 'The engine is not connected to a proxy right now; retry later.',
  GH_ERR_NO_ENGINE: 'No connected engine serves the requested database service.',
  // engine
  GH_ERR_ENGINE_NO_SUCH_DATABASE:
    'This engine does not serve the database service a session asked for; the proxy tries another engine.',
  GH_ERR_ENGINE_ACCESS_DENIED:
    'The engine refused a session or a command: the certificate, a lock or the roles do not allow it; the message says which.',
  GH_ERR_ENGINE_UPSTREAM:
    'The engine could not log in to the database for a session; the message names the database and the cause.',
  GH_ERR_ENGINE_CAPABILITY_MISMATCH:
    'The database lacks a wire-format capability the client negotiated (DEPRECATE_EOF, SESSION_TRACK, …), so the legs cannot agree.',
  GH_ERR_ENGINE_CREDENTIALS:
    'A password-mode database has no credential for the db user, or its password_env / password_file cannot be read.',
  GH_ERR_ENGINE_CLUSTER:
    'The engine cannot read the cluster state (user CAs, roles, locks) or get a db-client certificate from the auth part.',
  GH_ERR_ENGINE_MONITOR:
    'A query of the backend monitor (@@read_only, replication or Galera status) failed; the backend is reported with what could be read.',
  GH_ERR_ENGINE_NO_BACKEND:
    "No backend of a database fits the routing policy or the certificate's --db-role (all down, no primary, replicas too far behind); the message says which.",
  GH_ERR_ENGINE_HOOK_DENIED: "A connection hook (engine.hooks) denied the session; the message is the hook's.",
  GH_ERR_ENGINE_HOOK_FAILED:
    'A connection hook threw, returned something that is not a hook result, or ran over engine.hook_timeout; the session is denied and the failure counted.',
  GH_ERR_ENGINE_DB_USER:
    "The engine could not make, update, lock or drop a person's automatic database user (create_db_user): no admin_user on the database, the admin login or one of its statements failed, or the name belongs to a database user Gatehouse did not make; the message says which.",
  GH_ERR_ENGINE_CLOSED: 'The engine is shutting down and takes no new sessions.',
  GH_ERR_ENGINE_NOT_FOUND: 'gatectl engine drain named an engine that no live proxy has connected.',
  GH_ERR_ENGINE_DRAIN_UNCONFIRMED:
    'A drain was requested, but no proxy reported the engine draining within --wait (the engine may be cut off from the cluster).',
  GH_ERR_ENGINE_DRAINING:
    'The engine is draining (`gatectl engine drain`) and takes no new sessions; the proxy tries a serving engine.',
  GH_ERR_ENGINE_CHANGE_USER_LIMIT:
    'A COM_CHANGE_USER after three failed ones on the same connection is refused with ER_UNKNOWN_COM_ERROR (1047), as MariaDB does (MDEV-3915).',
  GH_ERR_ENGINE_SESSION_CLOSED:
    'The engine closed a live session with an ERR: the user was locked, the certificate expired, the session was idle too long, the client sent a malformed packet, or the engine drained and the session could not move within migration.wait; the message says which.',
  GH_ERR_ENGINE_HANDOFF:
    'An engine could not take over a migrating session: the handoff was malformed, or replaying its state or preparing its statements again failed on the new connection; the session stays on its engine.',
  // proxy front door, join and renewal
  GH_ERR_PROXY_TOO_MANY_CONNECTIONS:
    'The proxy refused a MySQL connection because proxy.limits.max_connections or max_connections_per_ip was reached (ERR 1040).',
  GH_ERR_PROXY_INSECURE_TRANSPORT:
    'A MySQL client sent its login without SSL; Gatehouse requires TLS with a client certificate (ERR 3159).',
  GH_ERR_PROXY_HANDSHAKE_TIMEOUT:
    'A MySQL client did not finish the connection phase within proxy.limits.handshake_timeout; the connection was closed.',
  GH_ERR_PROXY_NO_DB_USER:
    "Neither the client's login nor its certificate names a database user; connect with -u <db user>.",
  GH_ERR_PROXY_ENGINE_REPLY:
    "An engine answered a session's login with something other than one OK or ERR packet, or closed the stream first.",
  GH_ERR_WORKER:
    'A session worker (proxy.workers / engine.workers) could not start, or none was ready to take a connection; the log names the worker and why.',
  GH_ERR_JOIN_REQUEST:
    'A /v1/join or /v1/renew request was malformed: missing token, bad engine name or unusable public key.',
  GH_ERR_JOIN_PIN:
    "While joining, the proxy's certificate did not chain to a host CA with the pinned SHA-256; check the --ca-pin from 'gatectl tokens add'.",
  GH_ERR_JOIN_FAILED:
    "Joining or renewing the engine's host certificate failed; the message carries the proxy's answer.",
  // --- audit ---
  GH_ERR_AUDIT_INVALID_EVENT:
    'An audit event does not match its schema; the message names the field path and the reason.',
  GH_ERR_AUDIT_WRITE: 'The audit store could not write or fsync a batch; none of that batch was acknowledged.',
  GH_ERR_AUDIT_CORRUPT:
    'An audit log file is damaged beyond a torn last line; run gatectl audit verify for the first bad line.',
  GH_ERR_AUDIT_LOCKED:
    'Another live process holds the audit log open for writing; the message names it and the lock file.',
  GH_ERR_AUDIT_CLOSED: 'An audit store, spool or sink was used after it was closed.',
  GH_ERR_AUDIT_SPOOL: "The engine's audit spool could not be written or read.",
  // --- audit review (web app, /v1/audit) ---
  GH_ERR_WEB_BAD_REQUEST:
    'A /v1/audit request was malformed: a bad filter, cursor or body, or a query string over the limit; the message names the parameter and the reason.',
  GH_ERR_WEB_UNAUTHENTICATED:
    'A /v1/audit request came without a valid sign-in: no session cookie, an expired session, or an unknown or used sign-in token.',
  GH_ERR_WEB_FORBIDDEN:
    "The signed-in person's roles do not grant the audit permission the request needs (audit.read, audit.terminate), the person is locked, or the CSRF header is missing.",
  GH_ERR_WEB_SESSION_NOT_FOUND: 'No live session with that id is open on this proxy, so nothing was terminated.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatehouseError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isGatehouseError(err: unknown, code?: ErrorCode): err is GatehouseError {
  // The protocol package's errors carry codes from the same table, without our base class.
  return (err instanceof GatehouseError || err instanceof MysqlError) && (code === undefined || err.code === code);
}
