// Dialling a MySQL server and upgrading the connection to TLS, with failures turned into typed
// errors whose messages say what to check.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  type SecureContext,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { formatMysqlAddress, type MysqlAddress } from './address.js';
import { MysqlConnectError, MysqlTimeoutError, MysqlTlsError } from './errors.js';

/** TCP keepalive for a database socket (the shape of the config's tcp_keepalive). */
export interface SocketKeepalive {
  readonly enabled: boolean;
  /** Milliseconds of quiet before the first probe. */
  readonly idle: number;
}

export type TlsMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface UpstreamTlsOptions {
  readonly mode: TlsMode;
  /** PEM CA bundle that signed the server certificate (verify-ca, verify-full). */
  readonly ca?: string | Buffer;
  /** PEM client certificate and key, for x509 logins. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** The name the certificate must carry under verify-full; defaults to the host dialled. */
  readonly servername?: string;
  /** Default TLSv1.2. */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list; default Node's. */
  readonly ciphers?: string;
  /**
   * Reuse TLS sessions among the connections that pass the same key (the engine: database and
   * db user), so they skip the full handshake. Absent: every connection makes a full one.
   */
  readonly resumeKey?: string;
}

/**
 * Opens a TCP or unix-socket connection, failing with MysqlConnectError or MysqlTimeoutError.
 * TCP keepalive is on unless `keepalive.enabled` is false; `idle` is the delay before the first probe.
 */
export function dialMysql(address: MysqlAddress, timeoutMs: number, keepalive?: SocketKeepalive): Promise<Socket> {
  const where = formatMysqlAddress(address);
  return new Promise((resolve, reject) => {
    const socket =
      address.kind === 'unix'
        ? netConnect({ path: address.path })
        : netConnect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MysqlTimeoutError(where, 'connect', timeoutMs));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      if (address.kind !== 'unix' && keepalive?.enabled !== false) socket.setKeepAlive(true, keepalive?.idle ?? 60_000);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(new MysqlConnectError(where, explainDialError(where, err), { cause: err }));
    };
    socket.once('error', onError);
  });
}

function explainDialError(where: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where}: is the MySQL server running and listening there?`;
    case 'ENOENT':
      return `no unix socket at ${where}: is the MySQL server running, and is that its socket path?`;
    case 'EACCES':
      return `permission denied opening ${where}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${where} (${err.code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable (${err.code}): check the address and the network`;
    default:
      return `cannot connect to ${where}: ${err.message}`;
  }
}

function explainTlsError(where: string, host: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS to ${where}: the server certificate is not valid for '${host}'; connect by a name in its subjectAltName, or use tls mode verify-ca`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `TLS to ${where}: the server certificate is not signed by a trusted CA (${err.code}); set the CA file to the CA that signed it`;
    case 'CERT_HAS_EXPIRED':
      return `TLS to ${where}: the server certificate has expired`;
    default:
      return `TLS handshake with ${where} failed: ${err.message}`;
  }
}

/** Distinct (CA, cert, key) sets kept; an engine has one db-client cert per db user at a time. */
const CONTEXT_CACHE_SIZE = 64;
/** Resumable sessions kept per context (per resume key and server). */
const SESSIONS_PER_CONTEXT = 64;

interface SharedContext {
  readonly context: SecureContext;
  /**
   * The last session each resume key got from each server. Kept with the context, so sessions
   * go with the certificate they were made with: a renewed db-client certificate starts afresh
   * rather than resuming a session that carries the old one.
   */
  readonly sessions: Map<string, Buffer>;
}

const contexts = new Map<string, SharedContext>();

/**
 * One SecureContext per (CA, cert, key), shared by every connection that uses them. Given
 * `ca`/`cert`/`key`, tls.connect() builds a context per socket, and each socket keeps its
 * own OpenSSL SSL_CTX, parsed certificate store and key alive: about 36 KiB per idle session.
 */
function sharedSecureContext(tls: UpstreamTlsOptions): SharedContext {
  const minVersion = tls.minVersion ?? 'TLSv1.2';
  const key = `${tls.ca ?? ''}\0${tls.cert ?? ''}\0${tls.key ?? ''}\0${minVersion}\0${tls.ciphers ?? ''}`;
  let shared = contexts.get(key);
  if (shared === undefined) {
    const context = createSecureContext({
      minVersion,
      ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
    });
    shared = { context, sessions: new Map() };
    // Oldest first: a replaced (renewed) certificate's context ages out.
    if (contexts.size >= CONTEXT_CACHE_SIZE) contexts.delete(contexts.keys().next().value!);
  } else contexts.delete(key);
  contexts.set(key, shared);
  return shared;
}

function rememberSession(sessions: Map<string, Buffer>, key: string, session: Buffer): void {
  sessions.delete(key);
  sessions.set(key, session);
  if (sessions.size > SESSIONS_PER_CONTEXT) sessions.delete(sessions.keys().next().value!);
}

/**
 * The 'session' listener, made apart from startClientTls: a closure there would keep that call's
 * whole scope (its options, the offered ticket, the handshake timer, the promise's functions)
 * for as long as the connection lives.
 */
function sessionRecorder(sessions: Map<string, Buffer>, key: string): (session: Buffer) => void {
  return (session) => rememberSession(sessions, key, session);
}

/**
 * verify-ca checks the chain only; verify-full also checks the name. Made apart from
 * startClientTls because the socket keeps its options, this function among them, for as long as
 * it lives: a closure there would keep that call's options (the CA's PEM read for the session,
 * the resumption key) with every idle session.
 */
function serverIdentityCheck(verifyName: boolean, host: string): ConnectionOptions['checkServerIdentity'] {
  // verify-ca shares one function: every idle session's socket keeps its check.
  return verifyName ? (_name, cert) => checkServerIdentity(host, cert) : noNameCheck;
}

function noNameCheck(): undefined {
  return undefined;
}

/** Wraps `socket` in TLS as a client; resolves once the handshake and the chosen checks pass. */
export function startClientTls(
  socket: Socket,
  address: MysqlAddress,
  tls: UpstreamTlsOptions,
  timeoutMs: number,
): Promise<TLSSocket> {
  const where = formatMysqlAddress(address);
  const host = tls.servername ?? (address.kind === 'tcp' ? address.host : 'localhost');
  const shared = sharedSecureContext(tls);
  // A session is offered only to the server (and name) it came from: a resumed session skips
  // the certificate checks, which it passed when it was made.
  const sessionKey = tls.resumeKey === undefined ? undefined : `${tls.resumeKey}\0${where}\0${host}\0${tls.mode}`;
  const session = sessionKey === undefined ? undefined : shared.sessions.get(sessionKey);
  const options: ConnectionOptions = {
    socket,
    minVersion: tls.minVersion ?? 'TLSv1.2',
    rejectUnauthorized: tls.mode !== 'require',
    checkServerIdentity: serverIdentityCheck(tls.mode === 'verify-full', host),
    ...(isIP(host) === 0 ? { servername: host } : {}),
    secureContext: shared.context,
    ...(session !== undefined ? { session } : {}),
  };
  return new Promise((resolve, reject) => {
    const secure = tlsConnect(options);
    // Node emits 'session' only once the server passed verification; TLS 1.3 servers send their
    // tickets after the handshake, so this stays on for the connection's life (the newest wins).
    if (sessionKey !== undefined) secure.on('session', sessionRecorder(shared.sessions, sessionKey));
    const timer = setTimeout(() => {
      secure.destroy();
      reject(new MysqlTimeoutError(where, 'handshake', timeoutMs));
    }, timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      secure.destroy();
      // Whatever went wrong, the next connection starts with a full handshake.
      if (sessionKey !== undefined) shared.sessions.delete(sessionKey);
      reject(new MysqlTlsError(where, explainTlsError(where, host, err), { cause: err }));
    };
    secure.once('error', onError);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.off('error', onError);
      resolve(secure);
    });
  });
}
