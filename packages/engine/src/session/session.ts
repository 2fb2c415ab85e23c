// One session, Teleport-style: authorize → connect upstream → relay. Every failure before the
// relay is answered on the stream as one ERR packet (docs/architecture.md, "Session streams");
// this is the one place that catches, answers the client, audits and logs.
import { X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  type Audit,
  type AuditSession,
  type AuditWriteGate,
  connectUpstream,
  type DatabaseConfig,
  type ErrFields,
  isGatehouseError,
  type StreamOpenHeader,
  serializeErrPacket,
  serializeOkPacket,
  serializePacket,
  type TunnelErrorPayload,
  type UpstreamConnection,
} from '@gatehouse/common';
import type { Logger } from 'pino';
import type { DbClientCertSigner, EngineCluster } from '../cluster/engine-cluster.js';
import type { DenialReason, EngineMetrics } from '../diag/metrics.js';
import { EngineError } from '../errors.js';
import { type Authorization, authorizeSession } from './authorize.js';
import { type AuditSwitches, CommandAudit } from './command-audit.js';
import { toLoginErrFields } from './login-error.js';
import { Relay, type RelayCounters } from './relay.js';
import { startSessionLimits } from './session-limits.js';
import { SessionObserver } from './session-observer.js';
import { formatClientAddress, readSessionExtensions } from './session-header.js';
import type { ThreadRegistry } from './thread-registry.js';
import { buildUpstreamOptions, checkCapabilities } from './upstream-options.js';

/** A stream the proxy opened; IncomingStream from the tunnel fits, and so does a test's Duplex pair. */
export interface SessionStream {
  readonly header: StreamOpenHeader;
  accept(): Duplex;
  reject(error: TunnelErrorPayload): void;
}

export interface SessionDeps {
  readonly engineId: string;
  readonly database: DatabaseConfig;
  readonly cluster: EngineCluster;
  readonly signer: DbClientCertSigner;
  readonly audit: Audit;
  /** Replies wait for their audit events to be written (the engine's spool); none: at once. */
  readonly auditGate?: AuditWriteGate;
  /** Shared with the engine, which may flip them on a reload; default every event. */
  readonly auditSwitches?: AuditSwitches;
  readonly threads: ThreadRegistry;
  readonly counters: RelayCounters;
  /** Where latency, outcomes and denials are recorded (absent: not recorded). */
  readonly metrics?: EngineMetrics;
  /** Database-leg TLS handshakes, full and resumed (engine metrics, read at scrape). */
  readonly upstreamTls?: UpstreamTlsCounters;
  readonly log: Logger;
  readonly upstreamTimeoutMs?: number;
  readonly commandPrefixLimit?: number;
}

export interface UpstreamTlsCounters {
  full: number;
  resumed: number;
}

/** A live session, for the engine's bookkeeping (drain, metrics). */
export interface SessionHandle {
  readonly id: string;
  /** Closes with an ERR that says why, after the current reply. */
  close(err: ErrFields): void;
  /** Resolves when the session is over. */
  readonly done: Promise<void>;
}

/** The user named by a certificate we could not verify, for the failure event only. */
function unverifiedUser(chain: readonly Uint8Array[]): string {
  try {
    const der = chain[0];
    if (der === undefined) return '';
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(new X509Certificate(der).subject);
    return cn?.[1]?.slice(0, 256) ?? '';
  } catch {
    return '';
  }
}

export function startSession(stream: SessionStream, deps: SessionDeps): SessionHandle {
  const sessionId = stream.header.sessionId;
  const client = stream.accept();
  const log = deps.log.child({ sessionId, db: deps.database.name });
  const session = createAuditSession(stream.header, deps);
  let relay: Relay | undefined;
  let closeRequest: ErrFields | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  client.on('error', (err) => log.debug({ err }, 'client stream failed'));

  // The login runs in its own frame so that what only the connection phase needs (the header
  // with the client's chain, the upstream handshake, the options) is garbage once it returns;
  // an idle session keeps only the relay and what it refers to.
  logIn(stream.header, client, session, deps, log)
    .then((loggedIn) => {
      if (loggedIn === undefined) {
        resolveDone();
        return;
      }
      relay = startRelay(client, loggedIn, session, deps, log, resolveDone);
      if (closeRequest !== undefined) relay.requestClose(closeRequest);
    })
    .catch((err: unknown) => {
      log.error({ err }, 'session failed');
      client.destroy();
      resolveDone();
    });

  return {
    id: sessionId,
    close(err) {
      if (relay !== undefined) relay.requestClose(err);
      else closeRequest = err;
    },
    done,
  };
}

function createAuditSession(header: StreamOpenHeader, deps: SessionDeps): AuditSession {
  const extensions = readSessionExtensions(header);
  return {
    id: header.sessionId,
    user: unverifiedUser(header.clientCertChain),
    roles: [],
    dbService: deps.database.name,
    dbUser: header.route.dbUser,
    dbName: header.route.dbName,
    clientAddr: formatClientAddress(header),
    engineId: deps.engineId,
    proxyId: extensions.proxyId,
    clientAttributes: header.connectionAttributes,
    startedAt: Date.now(),
    ...(extensions.unixPeer !== undefined ? { unixPeer: extensions.unixPeer } : {}),
  };
}

/** The denial a login refusal counts as in metrics; undefined for failures that are not refusals. */
function denialReasonOf(code: string): DenialReason | undefined {
  if (code === 'GH_ERR_ENGINE_ACCESS_DENIED') return 'role';
  if (code === 'GH_ERR_IDENTITY_LOCKED') return 'lock';
  if (code.startsWith('GH_ERR_IDENTITY_')) return 'policy';
  return undefined;
}

/** What the relay needs from the login, and nothing more. */
interface LoggedIn {
  readonly auth: Authorization;
  readonly socket: UpstreamConnection['socket'];
  readonly leftover: Buffer;
  readonly connectionId: number;
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
}

/** Authorizes and logs in upstream; answers the client OK, or ERR and undefined. */
async function logIn(
  header: StreamOpenHeader,
  client: Duplex,
  session: AuditSession,
  deps: SessionDeps,
  log: Logger,
): Promise<LoggedIn | undefined> {
  let auth: Authorization;
  let upstream: UpstreamConnection;
  try {
    const target = { name: deps.database.name, labels: deps.database.labels };
    const snapshot = await deps.cluster.snapshot();
    auth = await authorizeSession({ header, database: target, snapshot }).catch(async (err: unknown) => {
      // The state is polled, so a user, grant or CA added a moment ago may be missing from it:
      // re-read once before refusing, and refuse with the first reason if nothing changed.
      const fresh = await deps.cluster.refresh().catch(() => snapshot);
      if (fresh.version === snapshot.version) throw err;
      return authorizeSession({ header, database: target, snapshot: fresh });
    });
    Object.assign(session, { user: auth.identity.user, roles: auth.roles });
    session.dbUser = auth.dbUser;
    session.dbName = auth.dbName;
    const options = await buildUpstreamOptions(
      {
        database: deps.database,
        auth,
        header,
        extensions: readSessionExtensions(header),
        signer: deps.signer,
        log,
        ...(deps.upstreamTimeoutMs ? { timeoutMs: deps.upstreamTimeoutMs } : {}),
      },
      header.sessionId,
    );
    const loginStarted = performance.now();
    upstream = await connectUpstream(options);
    deps.metrics?.recordLogin(deps.database.name, (performance.now() - loginStarted) / 1000);
    try {
      checkCapabilities(header, upstream, deps.database.name);
    } catch (err) {
      upstream.socket.destroy();
      throw err;
    }
  } catch (err) {
    const fields = toLoginErrFields(err, { dbService: deps.database.name, uri: deps.database.uri });
    const code = isGatehouseError(err) ? err.code : 'GH_ERR_INTERNAL';
    const denial = denialReasonOf(code);
    deps.metrics?.recordSession(deps.database.name, denial === undefined ? 'failed' : 'refused', denial);
    deps.audit.onSessionStart(
      session,
      new EngineError(code, fields.message, { errno: fields.errno, sqlState: fields.sqlState ?? 'HY000' }),
    );
    log.info({ err, user: session.user, errno: fields.errno }, 'session refused');
    client.end(serializePacket(serializeErrPacket(fields, header.capabilities), 0));
    return undefined;
  }
  session.threadId = upstream.connectionId;
  deps.metrics?.recordSession(deps.database.name, 'started');
  deps.audit.onSessionStart(session);
  deps.threads.add(auth.identity.user, upstream.connectionId);
  const tls = upstream.tlsSession;
  if (tls !== undefined && deps.upstreamTls !== undefined) deps.upstreamTls[tls.resumed ? 'resumed' : 'full']++;
  log.info(
    { user: auth.identity.user, dbUser: auth.dbUser, threadId: upstream.connectionId, ...(tls !== undefined ? { upstreamTls: tls } : {}) },
    'session started',
  );
  client.write(
    serializePacket(
      serializeOkPacket({ statusFlags: upstream.statusFlags, warnings: upstream.ok.warnings }, header.capabilities),
      0,
    ),
  );
  return {
    auth,
    socket: upstream.socket,
    leftover: upstream.leftover,
    connectionId: upstream.connectionId,
    capabilities: upstream.capabilities,
    mariaDbCapabilities: upstream.mariaDbCapabilities,
  };
}

function startRelay(
  client: Duplex,
  upstream: LoggedIn,
  session: AuditSession,
  deps: SessionDeps,
  log: Logger,
  onDone: () => void,
): Relay {
  const { auth } = upstream;
  const user = auth.identity.user;
  const threadId = upstream.connectionId;
  let stopLimits: (() => void) | undefined;
  const relay = new Relay({
    client,
    upstream: upstream.socket,
    leftover: upstream.leftover,
    capabilities: upstream.capabilities,
    mariaDbCapabilities: upstream.mariaDbCapabilities,
    policy: {
      user,
      database: { name: deps.database.name, labels: deps.database.labels },
      dbUser: auth.dbUser,
      checker: auth.checker,
      allowReplication: auth.decision.allowReplication,
      ownsThread: (id) => deps.threads.owns(user, id),
    },
    audit: new CommandAudit(deps.audit, session, undefined, deps.auditSwitches),
    ...(deps.auditGate === undefined ? {} : { gate: deps.auditGate }),
    log,
    counters: deps.counters,
    ...(deps.metrics !== undefined ? { observer: new SessionObserver(deps.metrics.childrenFor(deps.database.name)) } : {}),
    ...(deps.commandPrefixLimit ? { commandPrefixLimit: deps.commandPrefixLimit } : {}),
    onSchema: (schema) => {
      session.dbName = schema;
    },
    onMalformed: (payload, reason) => {
      log.warn({ reason }, 'malformed client packet');
      deps.audit.onMalformedPacket(session, payload, reason);
    },
    onEnd: (err) => {
      stopLimits?.();
      deps.threads.remove(user, threadId);
      deps.audit.onSessionEnd(session, err);
      log.info({ err }, 'session ended');
      onDone();
    },
  });
  relay.start();
  stopLimits = startSessionLimits({
    user,
    certNotAfter: auth.identity.notAfter,
    options: auth.options,
    cluster: deps.cluster,
    target: relay,
  });
  return relay;
}
