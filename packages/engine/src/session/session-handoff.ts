// The receiving side of a live migration (docs/migration.md): a stream whose header carries a
// handoff is a session that already runs on another engine. After the usual checks and login
// (same user, same db user, same auth mode), this engine runs the SQL that rebuilds the
// session's state, prepares its statements again and maps the client's statement ids to the new
// ones; only then does it answer OK, and the proxy switches the client over.
import { type SessionHandoff, SessionHandoffSchema } from '@gatehouse/common/cluster';
import {
  BufferReader,
  Capability,
  Command,
  PacketHeader,
  PacketParser,
  parseErrPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import type { StreamOpenHeader } from '@gatehouse/tunnel';
import { type QueryLeg, queryRows } from '../backends/monitor-query.js';
import { EngineError } from '../errors.js';
import { SessionState } from './session-state.js';
import { StatementIdMap } from './statement-id-map.js';

/** The handoff in a stream header, or undefined for a new session; throws when it is malformed. */
export function readHandoff(header: StreamOpenHeader): SessionHandoff | undefined {
  const raw = header.extensions?.handoff;
  if (raw === undefined) return undefined;
  const parsed = SessionHandoffSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EngineError(
      'GH_ERR_ENGINE_HANDOFF',
      `the session handoff is malformed: ${issue?.path.join('.') || 'handoff'}: ${issue?.message ?? 'bad value'}`,
      { errno: 1045, sqlState: '28000' },
    );
  }
  return parsed.data;
}

/** Prepares `sql` on a leg with nothing else in flight; resolves the new statement id. */
export function prepareOnLeg(leg: QueryLeg, sql: string, timeoutMs: number): Promise<number> {
  const { socket, capabilities } = leg;
  const deprecateEof = (capabilities & Capability.DeprecateEof) !== 0;
  const parser = new PacketParser();
  return new Promise<number>((resolve, reject) => {
    let statementId = -1;
    let toSkip = 0;
    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', finish);
      socket.off('close', onClose);
      socket.pause();
      if (err) reject(err);
      else resolve(statementId);
    };
    const onPacket = (payload: Buffer): void => {
      if (statementId < 0) {
        if (payload[0] === PacketHeader.Err) {
          const err = parseErrPacket(payload, capabilities);
          const message = err.kind === 'err' ? err.message : 'progress report';
          finish(
            new EngineError('GH_ERR_ENGINE_HANDOFF', `preparing a statement again failed: ${message}`, {
              errno: 1105,
              sqlState: 'HY000',
            }),
          );
          return;
        }
        const r = new BufferReader().reset(payload, 1);
        statementId = r.u32();
        const columns = r.u16();
        const params = r.u16();
        r.release();
        // The parameter and column definitions follow, each block with an EOF unless deprecated.
        toSkip = params + columns + (deprecateEof ? 0 : (params > 0 ? 1 : 0) + (columns > 0 ? 1 : 0));
      } else toSkip--;
      if (toSkip === 0) finish(undefined);
    };
    const onData = (chunk: Buffer): void => {
      try {
        parser.push(chunk, onPacket);
      } catch (err) {
        finish(err as Error);
      }
    };
    const onClose = (): void => finish(new Error('the server closed the connection while a statement was prepared'));
    const timer = setTimeout(
      () => finish(new Error(`preparing a statement took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.on('error', finish);
    socket.on('close', onClose);
    const payload = Buffer.concat([Buffer.from([Command.StmtPrepare]), Buffer.from(sql, 'utf8')]);
    socket.write(serializePacket(payload, 0));
    socket.resume();
  });
}

export interface RebuiltSession {
  readonly state: SessionState;
  readonly ids: StatementIdMap;
  /** The client's bytes its first engine held and never read: this engine reads them first. */
  readonly clientBytes: Buffer;
}

/**
 * Rebuilds the handed-off state on a fresh, logged-in leg: the replay SQL in order, then each
 * statement prepared again. The state is seeded so that this engine can move the session again.
 */
export async function rebuildSession(
  leg: QueryLeg,
  handoff: SessionHandoff,
  timeoutMs: number,
): Promise<RebuiltSession> {
  for (const sql of handoff.replay) await queryRows(leg, sql, timeoutMs);
  const pairs: Array<readonly [number, number]> = [];
  const state = new SessionState(handoff.schema);
  for (const [name, value] of Object.entries(handoff.variables)) state.variables.set(name, value);
  for (const name of handoff.userVariables) state.userVariables.add(name);
  for (const [name, statement] of Object.entries(handoff.sqlPrepared)) state.sqlPrepared.set(name, statement);
  state.statusFlags = handoff.statusFlags;
  const types = new Map<number, Buffer>();
  for (const s of handoff.statements) {
    const serverId = await prepareOnLeg(leg, s.sql, timeoutMs);
    pairs.push([s.clientId, serverId]);
    // Kept under the server's id, as the relay sees commands after mapping them.
    state.onPrepared(serverId, s.sql, false, s.paramCount);
    if (s.paramTypes !== undefined) {
      const bound = Buffer.from(s.paramTypes, 'base64');
      state.onTypesBound(serverId, bound);
      types.set(serverId, bound);
    }
  }
  const ids = new StatementIdMap(pairs);
  for (const [serverId, bound] of types) ids.bindOnNextExecute(serverId, bound);
  return { state, ids, clientBytes: Buffer.from(handoff.clientBytes, 'base64') };
}
