// The engine's policy on risky commands (DESIGN.md, "Policy on risky commands"): a denied
// command is answered with an ERR by the engine and never reaches the server.
import type { AccessChecker, DatabaseTarget } from '@gatehouse/common';
import { type ClientCommand, type ErrFields, ServerError } from '@gatehouse/mysql-protocol';
import { readLeadingStatement } from './leading-statement.js';

export interface PolicyContext {
  readonly user: string;
  readonly database: DatabaseTarget;
  readonly dbUser: string;
  readonly checker: AccessChecker;
  readonly allowReplication: boolean;
  /** Whether `threadId` is a session of this user on this engine. */
  ownsThread(threadId: number): boolean;
}

export type PolicyVerdict =
  | { readonly kind: 'forward'; readonly schema?: string }
  | { readonly kind: 'deny'; readonly err: ErrFields };

const FORWARD: PolicyVerdict = { kind: 'forward' };

function checkSchema(ctx: PolicyContext, schema: string): PolicyVerdict {
  const decision = ctx.checker.checkDbName({ db: ctx.database, dbUser: ctx.dbUser, dbName: schema });
  if (decision.allowed) return { kind: 'forward', schema };
  return {
    kind: 'deny',
    err: {
      ...ServerError.DbAccessDenied,
      message: `access denied for user ${ctx.user} to database '${schema}': ${decision.reason}`,
    },
  };
}

function checkKill(ctx: PolicyContext, threadId: number | undefined): PolicyVerdict {
  if (threadId !== undefined && ctx.ownsThread(threadId)) return FORWARD;
  const what = threadId === undefined ? 'this form of KILL' : `KILL of thread ${threadId}`;
  return {
    kind: 'deny',
    err: {
      ...ServerError.KillDenied,
      message: `${what} is refused: user ${ctx.user} may only kill their own sessions`,
    },
  };
}

export function decideCommand(command: ClientCommand, ctx: PolicyContext): PolicyVerdict {
  switch (command.kind) {
    case 'init_db':
      return checkSchema(ctx, command.schema);
    case 'query': {
      const leading = readLeadingStatement(command.sql);
      if (leading.kind === 'use') return checkSchema(ctx, leading.schema);
      if (leading.kind === 'kill') return checkKill(ctx, leading.id);
      if (leading.kind === 'kill-other') return checkKill(ctx, undefined);
      return FORWARD;
    }
    case 'change_user':
      return {
        kind: 'deny',
        err: {
          ...ServerError.UnknownCommand,
          message: `COM_CHANGE_USER is not supported through Gatehouse; reconnect with a certificate for db user '${command.user}'`,
        },
      };
    case 'binlog_dump':
    case 'binlog_dump_gtid':
    case 'register_slave':
      if (ctx.allowReplication) return FORWARD;
      return {
        kind: 'deny',
        err: {
          ...ServerError.SpecificAccessDenied,
          message: `replication commands are refused: no role of user ${ctx.user} allows replication (allow_replication)`,
        },
      };
    case 'shutdown':
      return {
        kind: 'deny',
        err: { ...ServerError.SpecificAccessDenied, message: 'COM_SHUTDOWN is refused through Gatehouse' },
      };
    case 'process_kill':
      return checkKill(ctx, command.connectionId);
    case 'unknown':
      return {
        kind: 'deny',
        err: { ...ServerError.UnknownCommand, message: `unknown command 0x${command.command.toString(16)} is refused` },
      };
    default:
      return FORWARD;
  }
}
