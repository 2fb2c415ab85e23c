// Session state tracking on the database leg (issue 17, docs/migration.md). The engine always
// asks the database for CLIENT_SESSION_TRACK and turns its trackers on right after the login;
// the relay then hands this object every OK packet, command and outcome, and it keeps the
// session's SessionState. For a client that did not negotiate CLIENT_SESSION_TRACK, the OK
// packets are re-encoded in the client's format (OkSplicer), so what it sees is what it asked for.
import {
  BufferReader,
  Capability,
  type ClientCommand,
  MysqlProtocolError,
  type OkPacketListener,
  parseOkPacket,
  type ResponseOutcome,
  ServerStatus,
  serializeOkPacket,
} from '@gatehouse/mysql-protocol';
import type { Logger } from 'pino';
import { type QueryLeg, queryRows } from '../backends/monitor-query.js';
import type { CommandRecord } from './command-record.js';
import { OkSplicer, type SplicePosition } from './ok-splicer.js';
import type { SessionState } from './session-state.js';
import type { StatementIdMap } from './statement-id-map.js';

/** What the relay calls; absent, the relay tracks nothing and relays OK packets unchanged. */
export interface RelayTracking {
  readonly onOkPacket: OkPacketListener;
  /** Set after a live migration: prepare OKs get the client's statement ids. */
  readonly onPrepareOkPacket: OkPacketListener | undefined;
  /** A command about to be forwarded; `complete`: the parsed prefix is the whole packet. */
  onCommand(command: ClientCommand, record: CommandRecord, complete: boolean): void;
  onOutcome(outcome: ResponseOutcome): void;
  /**
   * Set when the client's OK packets are re-encoded: the chunk as the client must get it, given
   * where the tracker stands after reading it (undefined: the tracker could not follow it).
   */
  readonly splice: ((chunk: Buffer, at: SplicePosition | undefined) => Buffer[]) | undefined;
}

/**
 * Turns on the trackers the state needs. Every system variable ('*'), the schema, and the
 * transaction's state and characteristics (CHARACTERISTICS implies STATE).
 * https://mariadb.com/kb/en/session_track_transaction_info/
 */
export const ENABLE_TRACKING_SQL =
  "SET SESSION session_track_schema = ON, session_track_state_change = ON, session_track_system_variables = '*', session_track_transaction_info = 'CHARACTERISTICS'";

/**
 * Runs ENABLE_TRACKING_SQL on a fresh login. A database that refuses it (an old version) still
 * serves the session: the state then says tracking is off and the session is never migrated.
 */
export async function enableSessionTracking(
  upstream: QueryLeg & { readonly leftover: Buffer },
  log: Logger,
  timeoutMs: number,
): Promise<boolean> {
  if ((upstream.capabilities & Capability.SessionTrack) === 0 || upstream.leftover.length > 0) return false;
  try {
    await queryRows(upstream, ENABLE_TRACKING_SQL, timeoutMs);
    return true;
  } catch (err) {
    if (upstream.socket.destroyed) throw err;
    log.warn({ err }, 'the database refused session tracking; sessions on it cannot migrate');
    return false;
  }
}

const reader = new BufferReader();

/** The status flags of an OK payload and where its fixed part ends (-1 when too short). */
function readOkHead(b: Buffer, start: number, end: number): { flags: number; fixedEnd: number } {
  try {
    const r = reader.reset(b, start + 1, end);
    r.lenencUint();
    r.lenencUint();
    const flags = r.u16();
    r.u16();
    const fixedEnd = end - r.remaining;
    r.release();
    return { flags, fixedEnd };
  } catch {
    reader.release();
    return { flags: 0, fixedEnd: -1 };
  }
}

/** Reads the types an execute bound (two bytes a parameter), or undefined when it bound none. */
export function readBoundTypes(payload: Buffer, paramCount: number, capabilities: number): Buffer | undefined {
  if (paramCount === 0 || payload.length < 10) return undefined;
  // With query attributes the block may carry attribute names too: not replayable here.
  if ((capabilities & Capability.QueryAttributes) !== 0 && (payload[5]! & 0x08) !== 0) return undefined;
  const at = 10 + ((paramCount + 7) >> 3);
  if (payload[at] !== 1 || payload.length < at + 1 + 2 * paramCount) return undefined;
  return Buffer.from(payload.subarray(at + 1, at + 1 + 2 * paramCount));
}

export class SessionTracking implements RelayTracking {
  readonly state: SessionState;
  readonly #upstreamCaps: number;
  readonly #clientCaps: number;
  readonly #splicer: OkSplicer | undefined;
  /** The client's OK packets are re-encoded (it did not negotiate CLIENT_SESSION_TRACK). */
  readonly #rewriteOk: boolean;
  /** Stream offsets of prepare OKs whose statement id the splicer rewrites (after a migration). */
  readonly #prepareOks = new Set<number>();
  readonly #log: Logger;
  /** Prepares whose text was cut at the prefix limit. */
  readonly #truncated = new WeakSet<CommandRecord>();
  readonly splice: ((chunk: Buffer, at: SplicePosition | undefined) => Buffer[]) | undefined;
  readonly onPrepareOkPacket: OkPacketListener | undefined;

  constructor(state: SessionState, upstreamCaps: number, clientCaps: number, log: Logger, ids?: StatementIdMap) {
    this.state = state;
    this.#upstreamCaps = upstreamCaps;
    this.#clientCaps = clientCaps;
    this.#log = log;
    const rewrite = (upstreamCaps & Capability.SessionTrack) !== 0 && (clientCaps & Capability.SessionTrack) === 0;
    this.#rewriteOk = rewrite;
    this.#splicer =
      rewrite || ids !== undefined
        ? new OkSplicer((payload, start) =>
            ids !== undefined && this.#prepareOks.delete(start)
              ? ids.rewritePrepareOk(payload)
              : this.#reencode(payload),
          )
        : undefined;
    const splicer = this.#splicer;
    this.splice =
      splicer === undefined
        ? undefined
        : (chunk, at) => (at === undefined ? splicer.pass(chunk) : splicer.take(chunk, at));
    this.onPrepareOkPacket =
      ids === undefined || splicer === undefined
        ? undefined
        : (_b, _start, _end, _complete, length, endOffset) => {
            const start = endOffset - 4 - length;
            this.#prepareOks.add(start);
            splicer.replace(start, endOffset);
          };
  }

  readonly onOkPacket: OkPacketListener = (b, start, end, complete, length, endOffset) => {
    const { flags, fixedEnd } = readOkHead(b, start, end);
    if (fixedEnd < 0) return;
    const changed = (flags & ServerStatus.SessionStateChanged) !== 0;
    if (this.#splicer !== undefined && this.#rewriteOk) {
      // Anything past the fixed part is in the tracking format: re-encode it from the whole
      // packet, which the splicer holds (a prefix here may be all the tracker kept of it).
      if (changed || fixedEnd < end || !complete) {
        this.#splicer.replace(endOffset - 4 - length, endOffset);
      }
      return;
    }
    if (changed && complete) this.#absorb(b.subarray(start, end));
  };

  /** Reads the state changes; returns the OK as the client's capabilities encode it. */
  #reencode(payload: Buffer): Buffer {
    const ok = this.#absorb(payload);
    if (ok === undefined) return payload;
    return serializeOkPacket(
      {
        header: ok.header,
        affectedRows: ok.affectedRows,
        lastInsertId: ok.lastInsertId,
        statusFlags: ok.statusFlags & ~ServerStatus.SessionStateChanged,
        warnings: ok.warnings,
        info: ok.info,
      },
      this.#clientCaps,
    );
  }

  #absorb(payload: Buffer): ReturnType<typeof parseOkPacket> | undefined {
    try {
      const ok = parseOkPacket(payload, this.#upstreamCaps);
      if (ok.sessionStateChanges.length > 0) this.state.onChanges(ok.sessionStateChanges);
      return ok;
    } catch (err) {
      if (!(err instanceof MysqlProtocolError)) throw err;
      this.#log.warn({ err }, 'unreadable session state in an OK packet');
      return undefined;
    }
  }

  onCommand(command: ClientCommand, record: CommandRecord, complete: boolean): void {
    switch (command.kind) {
      case 'stmt_prepare':
        if (!complete) this.#truncated.add(record);
        return;
      case 'stmt_execute': {
        const statement = this.state.statements.get(command.statementId);
        if (statement === undefined) return;
        const types = readBoundTypes(command.bytes, statement.paramCount, this.#upstreamCaps);
        if (types !== undefined) this.state.onTypesBound(command.statementId, types);
        return;
      }
      case 'stmt_close':
        this.state.onClosed(command.statementId);
        return;
      default:
        return;
    }
  }

  onOutcome(outcome: ResponseOutcome): void {
    const state = this.state;
    switch (outcome.kind) {
      case 'ok':
      case 'resultset':
      case 'fetch':
        state.onStatus(outcome.statusFlags);
        break;
      default:
        break;
    }
    const record = outcome.command as CommandRecord | undefined;
    if (record === undefined || !outcome.done || outcome.kind === 'err') return;
    switch (record.kind) {
      case 'query':
        state.onQuerySucceeded(record.text);
        return;
      case 'init_db':
        state.schema = record.text;
        return;
      case 'stmt_prepare':
        if (outcome.kind === 'prepared')
          state.onPrepared(outcome.statementId, record.text, this.#truncated.has(record), outcome.paramCount);
        return;
      case 'stmt_execute': {
        // A new execute closes the statement's earlier cursor; a cursor reply opens one.
        if (outcome.kind === 'resultset' && outcome.cursor) state.cursors.add(record.statementId);
        else state.cursors.delete(record.statementId);
        // A prepared `SET @x = ?` or `SELECT GET_LOCK(?, 1)` changes the state as a query would.
        const statement = state.statements.get(record.statementId);
        if (statement !== undefined) state.onQuerySucceeded(statement.sql);
        return;
      }
      case 'stmt_fetch':
        if (outcome.kind === 'fetch' && outcome.lastRowSent) state.cursors.delete(record.statementId);
        return;
      case 'stmt_reset':
        state.cursors.delete(record.statementId);
        return;
      case 'reset_connection':
      case 'change_user':
        state.onReset();
        return;
      default:
        return;
    }
  }
}
