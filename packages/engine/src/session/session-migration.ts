// The leaving side of a live migration (docs/migration.md, "The move"). For one session:
//   1. wait until it is migratable between two commands (no transaction, lock, temporary table…);
//   2. ask the proxy to stop sending the client's bytes (session.pause) and wait for every byte
//      it already sent, so nothing is in flight;
//   3. hold the commands until each one read is answered, and check again (the last command may
//      have opened a transaction): if the session cannot move now, undo 2 and wait again;
//   4. read the user variables back, build the handoff, and ask the proxy to move the session
//      (session.move): it opens a stream to a peer, which logs in, replays and re-prepares;
//   5. moved: this leg says COM_QUIT and the stream ends after the last reply; the audit gets
//      db.session.migrate. Not moved (no peer, the peer failed): undo 2 and try again.
// A session still not moved at the deadline is closed with an ERR that says why.
import {
  ClusterMethod,
  type SessionHandoff,
  SessionMoveResponseSchema,
  SessionPauseResponseSchema,
} from '@gatehouse/common/cluster';
import type { TunnelReply } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { QueryLeg } from '../backends/monitor-query.js';
import { queryRows } from '../backends/monitor-query.js';
import type { Relay } from './relay.js';
import { readBackQuery, replayStatements } from './session-replay.js';
import type { Migratability, NotMigratableReason, SessionState } from './session-state.js';
import type { StatementIdMap } from './statement-id-map.js';

/** A control request to the proxy that holds the session's client connection. */
export type ProxyRequest = (method: string, body: unknown) => Promise<TunnelReply>;

/** What the migration needs of a live session. */
export interface MigratingSession {
  readonly sessionId: string;
  readonly engineId: string;
  readonly relay: Relay;
  readonly state: SessionState;
  readonly ids: StatementIdMap | undefined;
  readonly leg: Pick<QueryLeg, 'capabilities'>;
  readonly threadId: number;
  readonly startedAt: number;
  readonly request: ProxyRequest;
  readonly log: Logger;
  migratability(): Migratability;
}

export type MigrationResult =
  | { readonly moved: true; readonly engineId: string; readonly threadId: number }
  | {
      readonly moved: false;
      readonly reason: NotMigratableReason | 'no_peer' | 'peer_failed' | 'ended';
      readonly message: string;
    };

export interface MigrateOptions {
  /** Why (for the audit event), e.g. "engine drain: SIGTERM". */
  readonly reason: string;
  /** Date.now() after which the session is no longer waited for. */
  readonly deadline: number;
  /** Resolves when the session ended by itself. */
  readonly done: Promise<void>;
  readonly queryTimeoutMs?: number;
}

const CHARSET_VARIABLES = [
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'collation_connection',
];
const CHARSET_QUERY = `SELECT ${CHARSET_VARIABLES.map((v) => `@@SESSION.${v} AS ${v}`).join(', ')}`;

/** How long "no peer" is tried again before the move is given up. */
const NO_PEER_PATIENCE_MS = 2000;
/** How soon a move a peer refused is tried again. */
const PEER_RETRY_MS = 250;
/** How long one wait for an idle moment lasts before the deadline is looked at again. */
const HOLD_WAIT_MS = 1000;

export async function migrateSession(s: MigratingSession, options: MigrateOptions): Promise<MigrationResult> {
  let ended = false;
  void options.done.then(() => {
    ended = true;
  });
  let last: MigrationResult = { moved: false, reason: 'starting', message: 'the session is still logging in' };
  let noPeerSince: number | undefined;
  while (!ended) {
    const now = Date.now();
    if (now >= options.deadline) return last;
    // Held at the first idle moment at which it could move: a reply's end is seen before the
    // client can answer it, so even a client that sends its next command at once is caught.
    const held = await s.relay.holdWhenIdle(
      () => s.migratability().migratable,
      Math.min(options.deadline - now, HOLD_WAIT_MS),
    );
    if (!held) {
      const m = s.migratability();
      if (!m.migratable) last = { moved: false, reason: m.reason, message: m.message };
      continue;
    }
    const attempt = await tryMove(s, options);
    if (attempt.moved || attempt.reason === 'ended') return attempt;
    // No peer (or no proxy that can move sessions): waiting would not change that, except for
    // a moment (a peer that has just started may not be registered everywhere yet).
    if (attempt.reason === 'no_peer') {
      noPeerSince ??= Date.now();
      if (Date.now() - noPeerSince >= NO_PEER_PATIENCE_MS) return attempt;
    } else noPeerSince = undefined;
    last = attempt;
    await sleepUntil(Math.min(options.deadline, Date.now() + PEER_RETRY_MS), options.done);
  }
  return { moved: false, reason: 'ended', message: 'the session ended' };
}

/** The session is held between two commands: move it, or release it. */
async function tryMove(s: MigratingSession, options: MigrateOptions): Promise<MigrationResult> {
  const { relay, log } = s;
  let paused: { sent: number };
  try {
    paused = SessionPauseResponseSchema.parse(
      (await s.request(ClusterMethod.SessionPause, { sessionId: s.sessionId })).body,
    );
  } catch (err) {
    relay.releaseCommands();
    log.info({ err }, 'the proxy cannot pause the session for a migration');
    return { moved: false, reason: 'no_peer', message: `the proxy cannot move the session: ${(err as Error).message}` };
  }
  const undo = async (): Promise<void> => {
    relay.releaseCommands();
    await s.request(ClusterMethod.SessionResume, { sessionId: s.sessionId }).catch((err: unknown) => {
      log.warn({ err }, 'the proxy did not resume the session after a migration attempt');
    });
  };
  // Every byte the proxy sent is here now: what came after the hold goes to the peer.
  await relay.waitReceived(paused.sent);
  let handoff: SessionHandoff;
  try {
    handoff = await buildHandoff(s, options);
  } catch (err) {
    log.warn({ err }, 'reading the session state back failed; the session stays');
    await undo();
    return {
      moved: false,
      reason: 'peer_failed',
      message: `reading the session state failed: ${(err as Error).message}`,
    };
  }
  let reply: ReturnType<typeof SessionMoveResponseSchema.parse>;
  try {
    reply = SessionMoveResponseSchema.parse(
      (await s.request(ClusterMethod.SessionMove, { sessionId: s.sessionId, handoff })).body,
    );
  } catch (err) {
    reply = { moved: false, reason: (err as Error).message, noPeer: true };
  }
  if (!reply.moved) {
    log.info({ reason: reply.reason }, 'the session could not move to a peer; it stays for now');
    await undo();
    // A peer that refused (it may not know the user yet, or be starting) is tried again.
    return { moved: false, reason: reply.noPeer === true ? 'no_peer' : 'peer_failed', message: reply.reason };
  }
  relay.endMoved();
  return { moved: true, engineId: reply.engineId, threadId: reply.threadId };
}

/** The handoff: the SQL that rebuilds the state (user variables read back now) and the statements. */
async function buildHandoff(s: MigratingSession, options: MigrateOptions): Promise<SessionHandoff> {
  const { state, relay } = s;
  const names = [...state.userVariables];
  const query = readBackQuery(names);
  let values: Awaited<ReturnType<typeof queryRows>>[number] | undefined;
  const columnTypes = new Map<string, number>();
  const timeoutMs = options.queryTimeoutMs ?? 10_000;
  const socket = relay.borrowUpstream();
  try {
    const leg = { socket, capabilities: s.leg.capabilities };
    if (query !== undefined) [values] = await queryRows(leg, query, timeoutMs, columnTypes);
    // MariaDB's tracker leaves out collation_connection after SET NAMES … COLLATE: the
    // character set variables are read as they are now, and replayed whatever was reported.
    const [charsets] = await queryRows(leg, CHARSET_QUERY, timeoutMs);
    for (const [name, value] of Object.entries(charsets ?? {})) if (value !== null) state.variables.set(name, value);
  } finally {
    relay.returnUpstream();
  }
  const statements = [...state.statements.values()].map((t) => ({
    clientId: s.ids?.clientIdOf(t.statementId) ?? t.statementId,
    sql: t.sql,
    paramCount: t.paramCount,
    ...(t.paramTypes !== undefined ? { paramTypes: t.paramTypes.toString('base64') } : {}),
  }));
  return {
    fromEngineId: s.engineId,
    fromThreadId: s.threadId,
    reason: options.reason,
    startedAt: s.startedAt,
    schema: state.schema,
    replay: replayStatements(state, values, columnTypes),
    variables: Object.fromEntries(state.variables),
    userVariables: names,
    sqlPrepared: Object.fromEntries(state.sqlPrepared),
    statusFlags: state.statusFlags,
    statements,
    clientBytes: relay.heldClientBytes().toString('base64'),
  };
}

function sleepUntil(at: number, done: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, at - Date.now()));
    void done.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
