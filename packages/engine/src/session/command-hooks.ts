// The session's side of the command hooks (docs/hooks.md): onCommand before a command goes to
// the database, onResult after its reply went to the client. The relay asks wants() for each
// command it is about to forward; with no module exporting onCommand the answer is one property
// read, so a session without command hooks pays nothing per command.
//
// Order on a command: the role's policy checks the client's text first (a command the roles
// refuse never reaches a hook), then onCommand runs; when it rewrites a COM_QUERY, the policy
// checks the new text again, since that is what the database runs. So the statement rules
// always judge the text that runs, and a hook can narrow what roles allow but never widen it.
import { type AuditSession, isGatehouseError } from '@gatehouse/common';
import {
  type ClientCommand,
  type ErrFields,
  parseClientCommand,
  ServerError,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import type { Logger } from 'pino';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { HookCommand, ResultSummary, SessionContext } from '../hooks/hook-types.js';
import { decideCommand, type PolicyContext } from './command-policy.js';
import { type CommandRecord, outcomeOf } from './command-record.js';

export type AuditFields = Readonly<Record<string, string | number | boolean>>;

/** What becomes of a command onCommand saw. */
export type HookDecision =
  | {
      readonly kind: 'deny';
      readonly command: ClientCommand;
      readonly err: ErrFields;
      /** A hook denied it or failed (false: the policy refused the rewritten text). */
      readonly byHook: boolean;
      readonly fields: AuditFields | undefined;
      /** The client's text, when the policy refused the text a hook rewrote it to. */
      readonly original?: string;
    }
  | {
      readonly kind: 'forward';
      /** The command that runs: the client's, or the one a hook rewrote. */
      readonly command: ClientCommand;
      /** The schema a USE in it selects, as the policy read it. */
      readonly schema: string | undefined;
      /** The rewritten command as a whole packet (sequence id 0); undefined: the client's bytes go. */
      readonly packet: Buffer | undefined;
      /** The client's text, when a hook rewrote it. */
      readonly original: string | undefined;
      readonly fields: AuditFields | undefined;
    };

/** Commands that get no reply, so a denial's ERR would desynchronise the client. */
const NO_REPLY = new Set<ClientCommand['kind']>(['quit', 'stmt_close', 'stmt_send_long_data']);

/** A rewritten query is held in memory whole: bounded like one packet frame. */
const MAX_REWRITE_BYTES = 16 * 1024 * 1024 - 2;

function hookCommand(command: ClientCommand, schema: string): HookCommand {
  let text = '';
  let truncated = false;
  let statementId = 0;
  switch (command.kind) {
    case 'query':
    case 'stmt_prepare':
      text = command.sql;
      truncated = command.sqlTruncated;
      break;
    case 'init_db':
    case 'create_db':
    case 'drop_db':
      text = command.schema;
      break;
    case 'stmt_execute':
    case 'stmt_fetch':
    case 'stmt_reset':
    case 'stmt_bulk_execute':
      statementId = command.statementId;
      break;
  }
  return { kind: command.kind, text, truncated, statementId, schema };
}

function fieldsOf(audit: AuditFields): AuditFields | undefined {
  for (const _ in audit) return audit;
  return undefined;
}

export class CommandHooks {
  readonly #runner: HookRunner;
  readonly #session: SessionContext;
  readonly #policy: PolicyContext;
  readonly #capabilities: number;
  readonly #log: Logger;

  constructor(options: {
    readonly runner: HookRunner;
    readonly session: SessionContext;
    readonly policy: PolicyContext;
    readonly capabilities: number;
    readonly log: Logger;
  }) {
    this.#runner = options.runner;
    this.#session = options.session;
    this.#policy = options.policy;
    this.#capabilities = options.capabilities;
    this.#log = options.log;
  }

  /** Whether some module has onCommand now (a reload may add or remove it). */
  get enabled(): boolean {
    return this.#runner.has('onCommand');
  }

  /** Whether `command` waits for onCommand before it is forwarded. */
  wants(command: ClientCommand): boolean {
    return this.#runner.has('onCommand') && !NO_REPLY.has(command.kind);
  }

  /**
   * Runs onCommand on a command the policy allowed. `complete`: the command's whole payload is
   * in `command.bytes` (a rewrite needs it). Never rejects: a hook that fails denies.
   */
  async decide(command: ClientCommand, complete: boolean): Promise<HookDecision> {
    const schema = this.#policy.currentSchema?.() ?? '';
    let outcome: Awaited<ReturnType<HookRunner['run']>>;
    try {
      outcome = await this.#runner.run('onCommand', this.#session, hookCommand(command, schema));
    } catch (err) {
      // The runner logged and counted it; the client gets its ERR 1105 naming the hook.
      const mysql =
        isGatehouseError(err) && 'mysql' in err
          ? (err as { mysql: { errno: number; sqlState: string } }).mysql
          : undefined;
      return {
        kind: 'deny',
        command,
        err: { errno: mysql?.errno ?? 1105, sqlState: mysql?.sqlState ?? 'HY000', message: (err as Error).message },
        byHook: true,
        fields: undefined,
      };
    }
    const fields = fieldsOf(outcome.audit);
    if (outcome.deny !== undefined) {
      const d = outcome.deny;
      return {
        kind: 'deny',
        command,
        err: {
          errno: d.errno ?? ServerError.TableAccessDenied.errno,
          sqlState: d.sqlState ?? ServerError.TableAccessDenied.sqlState,
          message: d.message,
        },
        byHook: true,
        fields,
      };
    }
    if (outcome.query === undefined || command.kind !== 'query' || outcome.query === command.sql) {
      return { kind: 'forward', command, schema: undefined, packet: undefined, original: undefined, fields };
    }
    return this.#rewrite(command, outcome.query, complete, fields);
  }

  #rewrite(
    command: Extract<ClientCommand, { kind: 'query' }>,
    sql: string,
    complete: boolean,
    fields: AuditFields | undefined,
  ): HookDecision {
    const text = Buffer.from(sql, 'utf8');
    if (!complete || command.sqlTruncated || text.length > MAX_REWRITE_BYTES) {
      return {
        kind: 'deny',
        command,
        err: { errno: 1105, sqlState: 'HY000', message: 'onCommand hook failed: the query is too long to rewrite' },
        byHook: true,
        fields,
      };
    }
    // The SQL is the payload's tail; what is in front (the command byte, query attributes) stays.
    const head = command.bytes.subarray(0, command.bytes.length - command.sqlLength);
    const payload = Buffer.concat([head, text]);
    const rewritten = parseClientCommand(payload, { capabilities: this.#capabilities });
    const verdict = decideCommand(rewritten, this.#policy);
    if (verdict.kind === 'deny')
      return { kind: 'deny', command: rewritten, err: verdict.err, byHook: false, fields, original: command.sql };
    return {
      kind: 'forward',
      command: rewritten,
      schema: verdict.schema,
      packet: serializePacket(payload, 0),
      original: command.sql,
      fields,
    };
  }

  /** onResult, once the reply is over; the session does not wait, and a failure is only logged. */
  finished(record: CommandRecord): void {
    if (!this.#runner.has('onResult') || NO_REPLY.has(record.kind)) return;
    const outcome = outcomeOf(record);
    const summary: ResultSummary = {
      kind: record.kind,
      text: record.text,
      outcome: outcome.kind,
      rows: outcome.kind === 'rows' ? outcome.rows : 0,
      affectedRows: outcome.kind === 'ok' ? (outcome.affected_rows ?? 0) : 0,
      ...(outcome.kind === 'error' ? { errno: outcome.errno } : {}),
      durationMs: Math.max(0, performance.now() - record.startedAt),
    };
    this.#runner.run('onResult', this.#session, summary).catch((err: unknown) => {
      this.#log.debug({ err }, 'onResult hook failed');
    });
  }
}

/** The context every command hook call of a session gets (built once per session). */
export function commandSessionContext(session: AuditSession, backend: string): SessionContext {
  const addr = session.clientAddr;
  const colon = addr.lastIndexOf(':');
  const host = colon < 0 ? addr : addr.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return Object.freeze({
    sessionId: session.id,
    dbService: session.dbService,
    user: session.user,
    roles: [...session.roles],
    dbUser: session.dbUser,
    dbName: session.dbName,
    clientAddress: { host, port: colon < 0 ? 0 : Number(addr.slice(colon + 1)) || 0 },
    connectionAttributes: { ...session.clientAttributes },
    backend,
  });
}
