// One session, Teleport-style: authorize → connect upstream → relay. Every failure before the
// relay is answered on the stream as one ERR packet (docs/architecture.md, "Session streams");
// this is the one place that catches, answers the client, audits and logs.
import { X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  type Audit,
  type AuditSession,
  type AuditWriteGate,
  createSessionLogger,
  type DatabaseConfig,
  describeClientError,
  forgetSessionToken,
  guardEmitter,
  isGatehouseError,
  type KeepaliveConfig,
} from '@gatehouse/common';
import {
  type ErrFields,
  MysqlServerError,
  ServerError,
  serializeErrPacket,
  serializeOkPacket,
  serializePacket,
  type UpstreamConnection,
} from '@gatehouse/mysql-protocol';
import type { BackendInfo, StreamOpenHeader, TunnelErrorPayload } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { DbClientCertSigner, EngineCluster } from '../cluster/engine-cluster.js';
import type { DbUserLease, DbUserManager } from '../db-users/db-user-manager.js';
import type { DenialReason, EngineMetrics } from '../diag/metrics.js';
import { EngineError } from '../errors.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import { type Authorization, authorizeCurrent } from './authorize.js';
import { type AutoDbUserLogin, leaseAutoDbUser } from './auto-db-user.js';
import { UserChanges } from './change-user.js';
import { type AuditSwitches, CommandAudit } from './command-audit.js';
import { CommandHooks, commandSessionContext } from './command-hooks.js';
import type { PolicyContext } from './command-policy.js';
import { connectBackend } from './connect-backend.js';
import { Relay, type RelayCounters } from './relay.js';
import { type RebuiltSession, readHandoff, rebuildSession } from './session-handoff.js';
import { formatClientAddress, readSessionExtensions } from './session-header.js';
import { runConnectHooks, runHandshakeHooks } from './session-hooks.js';
import { startSessionLimits } from './session-limits.js';
import { type MigrationResult, migrateSession, type ProxyRequest } from './session-migration.js';
import { SessionObserver } from './session-observer.js';
import { type Migratability, SessionState } from './session-state.js';
import type { SessionTokenCheck } from './session-token-check.js';
import { enableSessionTracking, SessionTracking } from './session-tracking.js';
import type { ThreadRegistry } from './thread-registry.js';
import { type PlainUpstream, plainUpstream } from './upstream-compression.js';
import { buildUpstreamOptions, checkCapabilities } from './upstream-options.js';

/** A stream the proxy opened; IncomingStream from the tunnel fits, and so does a test's Duplex pair. */
export interface SessionStream {
  readonly header: StreamOpenHeader;
  accept(): Duplex;
  reject(error: TunnelErrorPayload): void;
  /** Control requests to the proxy that opened the stream (live migration); absent: none. */
  readonly request?: ProxyRequest;
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
  /** The monitor's latest view of the database's backends; default: the config's, unknown. */
  readonly backends?: () => readonly BackendInfo[];
  /** Connection hooks (engine.hooks). */
  readonly hooks?: HookRunner;
  /** A listener on this session's client stream or database socket threw; for the metrics. */
  readonly onHandlerError?: (err: unknown) => void;
  /** TCP keepalive on the database socket (config engine.tcp_keepalive); default on. */
  readonly keepalive?: KeepaliveConfig;
  /** Makes the automatic database users of roles with create_db_user (databases[].admin_user). */
  readonly dbUsers?: DbUserManager;
  /** Checks the proxy's session token before anything else (absent: streams are not checked). */
  readonly sessionToken?: SessionTokenCheck;
}

export interface UpstreamTlsCounters {
  full: number;
  resumed: number;
}

/** A live session, for the engine's bookkeeping (drain, metrics). */
export interface SessionHandle {
  readonly id: string;
  readonly dbService: string;
  /** The backend the session logged in to, once it has (for disconnect_unavailable). */
  readonly backend: BackendInfo | undefined;
  /** What the session changed on its connection (once it relays; session-state.ts). */
  readonly state: SessionState | undefined;
  /** Whether it could move to another engine now, and if not, why. */
  migratability(): Migratability;
  /** Closes with an ERR that says why, after the current reply. */
  close(err: ErrFields): void;
  /** Resolves when the session is over. */
  readonly done: Promise<void>;
  /**
   * Moves the session to a peer engine once it is migratable (session-migration.ts); resolves
   * with where it went, or why it did not move by `deadline` (the session is then still here).
   */
  migrate(options: { readonly reason: string; readonly deadline: number }): Promise<MigrationResult>;
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
  const log = createSessionLogger(deps.log, { sessionId, db: deps.database.name });
  const session = createAuditSession(stream.header, deps);
  let relay: Relay | undefined;
  let state: SessionState | undefined;
  let loggedInAs: LoggedIn | undefined;
  let migrating: Promise<MigrationResult> | undefined;
  let backend: BackendInfo | undefined;
  let closeRequest: ErrFields | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  client.on('error', (err) => log.debug({ err }, 'client stream failed'));
  // The error boundary of this session (the relay's own listeners included): a listener that
  // throws closes this session's two legs, and the engine's other sessions go on.
  let upstream: Duplex | undefined;
  const handlerFailed = (err: unknown): void => {
    log.error({ err }, 'session handler failed; the session is closed');
    deps.onHandlerError?.(err);
    client.destroy();
    upstream?.destroy();
    resolveDone();
  };
  guardEmitter(client, handlerFailed);

  // The login runs in its own frame so that what only the connection phase needs (the header
  // with the client's chain, the upstream handshake, the options) is garbage once it returns;
  // an idle session keeps only the relay and what it refers to.
  logIn(stream.header, client, session, deps, log)
    .then((loggedIn) => {
      if (loggedIn === undefined) {
        resolveDone();
        return;
      }
      backend = loggedIn.backend;
      upstream = loggedIn.socket;
      loggedInAs = loggedIn;
      guardEmitter(upstream, handlerFailed);
      state = loggedIn.rebuilt?.state ?? new SessionState(loggedIn.auth.dbName);
      state.tracking = loggedIn.tracking;
      relay = startRelay(client, loggedIn, state, stream.header, session, deps, log, resolveDone, (socket) => {
        upstream = socket;
        guardEmitter(socket, handlerFailed);
      });
      if (closeRequest !== undefined) relay.requestClose(closeRequest);
    })
    .catch((err: unknown) => {
      log.error({ err }, 'session failed');
      client.destroy();
      upstream?.destroy();
      resolveDone();
    });

  return {
    id: sessionId,
    dbService: deps.database.name,
    get backend() {
      return backend;
    },
    get state() {
      return state;
    },
    migratability() {
      if (relay === undefined || state === undefined) return STARTING;
      return state.migratability(relay);
    },
    close(err) {
      if (relay !== undefined) relay.requestClose(err);
      else closeRequest = err;
    },
    done,
    migrate(options) {
      // One move at a time: a drain that starts while another runs waits for the same one.
      migrating ??= migrateOnce(options).finally(() => {
        migrating = undefined;
      });
      return migrating;
    },
  };

  async function migrateOnce(options: {
    readonly reason: string;
    readonly deadline: number;
  }): Promise<MigrationResult> {
    const request = stream.request;
    if (request === undefined) return { moved: false, reason: 'no_peer', message: 'the stream has no proxy to ask' };
    let result: MigrationResult = { moved: false, reason: 'starting', message: 'the session is still logging in' };
    // A session still logging in is waited for like one that is busy.
    while (relay === undefined && Date.now() < options.deadline) {
      const ended = await Promise.race([done.then(() => true), sleep(25).then(() => false)]);
      if (ended) return { moved: false, reason: 'ended', message: 'the session ended' };
    }
    if (relay === undefined || state === undefined || loggedInAs === undefined) return result;
    const fromThread = session.threadId ?? 0;
    result = await migrateSession(
      {
        sessionId,
        engineId: deps.engineId,
        relay,
        state,
        ids: loggedInAs.rebuilt?.ids,
        leg: { capabilities: loggedInAs.capabilities },
        threadId: fromThread,
        startedAt: session.startedAt ?? Date.now(),
        request,
        log,
        migratability: () => (relay === undefined || state === undefined ? STARTING : state.migratability(relay)),
      },
      { ...options, done, ...(deps.upstreamTimeoutMs ? { queryTimeoutMs: deps.upstreamTimeoutMs } : {}) },
    );
    if (result.moved) {
      deps.audit.onCommand(session, {
        event: 'db.session.migrate',
        from_engine_id: deps.engineId,
        to_engine_id: result.engineId,
        from_thread_id: fromThread,
        to_thread_id: result.threadId,
        reason: options.reason,
      });
      log.info({ to: result.engineId, threadId: result.threadId, reason: options.reason }, 'session migrated');
    }
    return result;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const STARTING: Migratability = Object.freeze({
  migratable: false,
  reason: 'starting',
  message: 'the session is still logging in',
});

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
  if (code === 'GH_ERR_ENGINE_HOOK_DENIED') return 'hook';
  if (code === 'GH_ERR_SESSION_TOKEN') return 'token';
  if (code.startsWith('GH_ERR_IDENTITY_')) return 'policy';
  return undefined;
}

/** What the relay needs from the login, and nothing more. */
interface LoggedIn {
  readonly auth: Authorization;
  /** Plain MySQL packets both ways, whether or not the database leg is compressed. */
  readonly socket: Duplex;
  readonly leftover: Buffer;
  readonly connectionId: number;
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
  readonly backend: BackendInfo;
  /** The session's hold on its automatic database user, released when it ends. */
  readonly dbUserLease: DbUserLease | undefined;
  /** The client's own capabilities: its OK packets are encoded for these. */
  readonly clientCapabilities: number;
  /** The database's session trackers are on (session-tracking.ts). */
  readonly tracking: boolean;
  /** A session moved here from another engine: its state rebuilt, its statement ids mapped. */
  readonly rebuilt: RebuiltSession | undefined;
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
  /** The leg as the relay and the engine's own queries use it: plain packets, compressed or not. */
  let plain: PlainUpstream;
  let backend: BackendInfo;
  let tracking: boolean;
  let tried = deps.database.uri;
  let lease: DbUserLease | undefined;
  let auto: AutoDbUserLogin | undefined;
  let rebuilt: LoggedIn['rebuilt'];
  const handoff = (() => {
    try {
      return readHandoff(header);
    } catch (err) {
      return err as Error;
    }
  })();
  try {
    deps.sessionToken?.(header);
    // Spent: the session keeps its header (a COM_CHANGE_USER logs in again), not the token.
    forgetSessionToken(header);
    if (handoff instanceof Error) throw handoff;
    if (handoff !== undefined) Object.assign(session, { startedAt: handoff.startedAt });
    if (deps.hooks?.has('onConnect')) await runConnectHooks(deps.hooks, header, deps.database.name, session);
    const target = { name: deps.database.name, labels: deps.database.labels };
    auth = await authorizeCurrent(deps.cluster, { header, database: target });
    Object.assign(session, { user: auth.identity.user, roles: auth.roles });
    session.dbUser = auth.dbUser;
    session.dbName = auth.dbName;
    auto = await leaseAutoDbUser(deps.database, deps.dbUsers, auth, session);
    lease = auto?.lease;
    const options = await buildUpstreamOptions(
      {
        database: auto?.database ?? deps.database,
        auth: auto?.loginAuth ?? auth,
        header,
        extensions: readSessionExtensions(header),
        signer: deps.signer,
        log,
        ...(deps.upstreamTimeoutMs ? { timeoutMs: deps.upstreamTimeoutMs } : {}),
      },
      header.sessionId,
    );
    const backends =
      deps.backends?.() ??
      deps.database.backends.map((b) => ({
        ...b,
        role: 'unknown' as const,
        health: 'unknown' as const,
        serverVersion: '',
      }));
    const chosen = deps.hooks?.has('onHandshakeResponse')
      ? await runHandshakeHooks(deps.hooks, header, deps.database.name, auth, backends, session)
      : undefined;
    const loginStarted = performance.now();
    ({ upstream, backend } = await connectBackend({
      database: deps.database,
      backends,
      chosen,
      auth,
      header,
      options: deps.keepalive ? { ...options, keepalive: deps.keepalive } : options,
      log,
      onAttempt: (uri) => {
        tried = uri;
      },
    }));
    deps.metrics?.recordLogin(deps.database.name, (performance.now() - loginStarted) / 1000);
    try {
      checkCapabilities(header, upstream, deps.database.name);
      plain = plainUpstream(upstream);
      tracking = await enableSessionTracking(
        { ...plain, capabilities: upstream.capabilities },
        log,
        deps.upstreamTimeoutMs ?? 10_000,
      );
    } catch (err) {
      upstream.socket.destroy();
      throw err;
    }
    await auto?.afterLogin({ socket: plain.socket, capabilities: upstream.capabilities });
    if (handoff !== undefined) {
      try {
        rebuilt = await rebuildSession(
          { socket: plain.socket, capabilities: upstream.capabilities },
          handoff,
          deps.upstreamTimeoutMs ?? 10_000,
        );
      } catch (err) {
        upstream.socket.destroy();
        throw err;
      }
    }
  } catch (err) {
    void lease?.release();
    const failure = describeClientError(err, { side: 'engine', database: { name: deps.database.name, uri: tried } });
    const fields: ErrFields = { ...(failure.mysql ?? ServerError.UnknownError), message: failure.message };
    const code = isGatehouseError(err) ? err.code : 'GH_ERR_INTERNAL';
    const denial = denialReasonOf(code);
    // A session arriving by migration was counted and audited as it started on its first engine:
    // a failure to rebuild it is only logged (it stays where it is). A refusal (a bad token, a
    // lock, a role that no longer allows it) is audited and counted as any refused login.
    if (handoff !== undefined && denial === undefined) {
      log.warn({ err }, 'a migrating session could not be taken over');
      client.end(serializePacket(serializeErrPacket(fields, header.capabilities), 0));
      return undefined;
    }
    deps.metrics?.recordSession(deps.database.name, denial === undefined ? 'failed' : 'refused', denial);
    // The client gets a server's ERR verbatim; the audit event also says which database refused.
    const why = err instanceof MysqlServerError ? `database '${deps.database.name}': ${err.message}` : fields.message;
    deps.audit.onSessionStart(
      session,
      new EngineError(code, why, { errno: fields.errno, sqlState: fields.sqlState ?? 'HY000' }),
    );
    log.info({ err, user: session.user, errno: fields.errno }, 'session refused');
    client.end(serializePacket(serializeErrPacket(fields, header.capabilities), 0));
    return undefined;
  }
  session.threadId = upstream.connectionId;
  lease?.attach(upstream.connectionId);
  if (deps.database.backends.length > 1) session.backend = backend.uri;
  if (handoff === undefined) {
    deps.metrics?.recordSession(deps.database.name, 'started');
    deps.audit.onSessionStart(session);
  }
  deps.threads.add(auth.identity.user, upstream.connectionId);
  const tls = upstream.tlsSession;
  if (tls !== undefined && deps.upstreamTls !== undefined) deps.upstreamTls[tls.resumed ? 'resumed' : 'full']++;
  log.info(
    {
      user: auth.identity.user,
      dbUser: auth.dbUser,
      threadId: upstream.connectionId,
      backend: backend.uri,
      ...(tls !== undefined ? { upstreamTls: tls } : {}),
    },
    'session started',
  );
  // A migrating session's OK goes to the proxy, not the client: its info names the new thread id.
  const info = handoff === undefined ? {} : { info: String(upstream.connectionId) };
  client.write(
    serializePacket(
      serializeOkPacket(
        { statusFlags: upstream.statusFlags, warnings: upstream.ok.warnings, ...info },
        header.capabilities,
      ),
      0,
    ),
  );
  return {
    auth,
    ...plain,
    connectionId: upstream.connectionId,
    capabilities: upstream.capabilities,
    mariaDbCapabilities: upstream.mariaDbCapabilities,
    backend,
    dbUserLease: lease,
    clientCapabilities: header.capabilities,
    tracking,
    rebuilt,
  };
}

function startRelay(
  client: Duplex,
  upstream: LoggedIn,
  state: SessionState,
  header: StreamOpenHeader,
  session: AuditSession,
  deps: SessionDeps,
  log: Logger,
  onDone: () => void,
  onLeg: (socket: Duplex) => void,
): Relay {
  const { auth } = upstream;
  const user = auth.identity.user;
  let stopLimits: (() => void) | undefined;
  const audit = new CommandAudit(deps.audit, session, undefined, deps.auditSwitches);
  // COM_CHANGE_USER replaces the authorization (and the db user) the policy reads.
  const changes = new UserChanges(
    {
      header,
      database: deps.database,
      cluster: deps.cluster,
      signer: deps.signer,
      session,
      audit,
      threads: deps.threads,
      backend: upstream.backend,
      log,
      timeoutMs: deps.upstreamTimeoutMs,
      keepalive: deps.keepalive,
      onLeg,
    },
    auth,
  );
  const policy: PolicyContext = {
    user,
    database: { name: deps.database.name, labels: deps.database.labels },
    get dbUser() {
      return session.dbUser;
    },
    get checker() {
      return changes.auth.checker;
    },
    get allowReplication() {
      return changes.auth.decision.allowReplication;
    },
    ownsThread: (id) => deps.threads.owns(user, id),
    get statementRules() {
      return changes.auth.statementRules;
    },
    currentSchema: () => session.dbName,
  };
  // Every session gets the command hooks' seam: a reload that adds onCommand reaches it too.
  const hooks =
    deps.hooks === undefined
      ? undefined
      : new CommandHooks({
          runner: deps.hooks,
          session: commandSessionContext(session, upstream.backend.uri),
          policy,
          capabilities: upstream.capabilities,
          log,
        });
  const relay = new Relay({
    client,
    upstream: upstream.socket,
    leftover: upstream.leftover,
    capabilities: upstream.capabilities,
    mariaDbCapabilities: upstream.mariaDbCapabilities,
    policy,
    ...(hooks !== undefined ? { hooks } : {}),
    audit,
    changeUser: changes.change,
    ...(deps.auditGate === undefined ? {} : { gate: deps.auditGate }),
    log,
    counters: deps.counters,
    ...(deps.metrics !== undefined
      ? { observer: new SessionObserver(deps.metrics.childrenFor(deps.database.name)) }
      : {}),
    ...(deps.commandPrefixLimit ? { commandPrefixLimit: deps.commandPrefixLimit } : {}),
    tracking: new SessionTracking(
      state,
      upstream.capabilities,
      upstream.clientCapabilities,
      log,
      upstream.rebuilt?.ids,
    ),
    ...(upstream.rebuilt !== undefined ? { ids: upstream.rebuilt.ids } : {}),
    onSchema: (schema) => {
      session.dbName = schema;
    },
    onMalformed: (payload, reason) => {
      log.warn({ reason }, 'malformed client packet');
      deps.audit.onMalformedPacket(session, payload, reason);
    },
    onEnd: (err, moved) => {
      stopLimits?.();
      if (session.threadId !== undefined) deps.threads.remove(user, session.threadId);
      void upstream.dbUserLease?.release();
      // A session that moved goes on on its new engine, which reports its end.
      if (!moved) deps.audit.onSessionEnd(session, err);
      log.info({ err, moved }, 'session ended here');
      onDone();
    },
  });
  relay.start();
  // Commands the client sent while its first engine held the session for the move.
  if (upstream.rebuilt !== undefined) relay.pushClientBytes(upstream.rebuilt.clientBytes);
  stopLimits = startSessionLimits({
    user,
    certNotAfter: auth.identity.notAfter,
    options: auth.options,
    cluster: deps.cluster,
    target: relay,
  });
  return relay;
}
