// The engine's policy on risky commands (DESIGN.md, "Policy on risky commands"): a denied
// command is answered with an ERR by the engine and never reaches the server.
import type { AccessChecker, DatabaseTarget, StatementRules } from '@gatehouse/common';
import { type ClientCommand, type ErrFields, ServerError } from '@gatehouse/mysql-protocol';
import { decideStatement, type StatementContext } from '../policy/statement-policy.js';
import { type LeadingStatement, readLeadingStatement } from './leading-statement.js';
import { readDynamicSql, splitStatements } from './statement-texts.js';

export interface PolicyContext {
  readonly user: string;
  readonly database: DatabaseTarget;
  readonly dbUser: string;
  readonly checker: AccessChecker;
  readonly allowReplication: boolean;
  /** Whether `threadId` is a session of this user on this engine. */
  ownsThread(threadId: number): boolean;
  /** Per-statement checks (db_names past USE, statement rules); undefined: SQL is not parsed. */
  readonly statementRules?: StatementRules | undefined;
  /** The session's current schema ('' when none), for unqualified names. */
  currentSchema?(): string;
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

/** COM_CREATE_DB / COM_DROP_DB: the schema they name, and the statement rules as for the SQL. */
function checkSchemaCommand(ctx: PolicyContext, kind: 'create_db' | 'drop_db', schema: string): PolicyVerdict {
  const verdict = checkSchema(ctx, schema);
  if (verdict.kind === 'deny') return verdict;
  const verb = kind === 'create_db' ? 'create' : 'drop';
  return checkClass(ctx, [verb, `${verb} database`]);
}

function checkClass(ctx: PolicyContext, classes: readonly string[]): PolicyVerdict {
  const reason = ctx.statementRules?.checkClasses(classes);
  if (reason === undefined) return FORWARD;
  return {
    kind: 'deny',
    err: { ...ServerError.TableAccessDenied, message: `statement refused for user ${ctx.user}: ${reason}` },
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

function checkLeadingKill(ctx: PolicyContext, leading: LeadingStatement): PolicyVerdict {
  if (leading.kind === 'kill') return checkKill(ctx, leading.id);
  if (leading.kind === 'kill-other') return checkKill(ctx, undefined);
  return FORWARD;
}

/**
 * KILL may only target the caller's own sessions wherever it stands: as any statement of a
 * multi-statement text, or as the SQL of `PREPARE … FROM '…'` / `EXECUTE IMMEDIATE '…'` (the
 * server runs those literals). A prepared text the gateway cannot read (a user variable) is not
 * seen here: docs/rbac-and-store.md says what the database's own grants must cover.
 */
function checkEveryKill(ctx: PolicyContext, sql: string): PolicyVerdict {
  // Fast path: no KILL anywhere in the text, nothing to split.
  if (!/kill/i.test(sql)) return FORWARD;
  for (const statement of splitStatements(sql)) {
    const verdict = checkLeadingKill(ctx, readLeadingStatement(statement));
    if (verdict.kind === 'deny') return verdict;
    const dynamic = readDynamicSql(statement);
    if (dynamic !== undefined && 'sql' in dynamic) {
      const inner = checkEveryKill(ctx, dynamic.sql);
      if (inner.kind === 'deny') return inner;
    }
  }
  return FORWARD;
}

export function decideCommand(command: ClientCommand, ctx: PolicyContext): PolicyVerdict {
  switch (command.kind) {
    case 'init_db':
      return checkSchema(ctx, command.schema);
    case 'query': {
      const leading = readLeadingStatement(command.sql);
      const killed = checkEveryKill(ctx, command.sql);
      if (killed.kind === 'deny') return killed;
      const verdict = leading.kind === 'use' ? checkSchema(ctx, leading.schema) : FORWARD;
      if (verdict.kind === 'deny' || ctx.statementRules === undefined) return verdict;
      // A lone KILL names no schema (and the parser does not read it): its class is all to check.
      if (leading.kind === 'kill' && !/;\s*\S/.test(command.sql)) return checkClass(ctx, ['kill']);
      const checked = decideStatement(command.sql, command.sqlTruncated, ctx as StatementContext);
      if (checked.kind === 'deny') return checked;
      // A USE later in a multi-statement is where the session ends up.
      return checked.schema === undefined ? verdict : { kind: 'forward', schema: checked.schema };
    }
    case 'stmt_prepare': {
      // A prepared KILL runs at execute: its target is checked now (a `?` target is refused).
      const killed = checkEveryKill(ctx, command.sql);
      if (killed.kind === 'deny' || ctx.statementRules === undefined) return killed;
      const checked = decideStatement(command.sql, command.sqlTruncated, ctx as StatementContext);
      return checked.kind === 'deny' ? checked : FORWARD;
    }
    case 'create_db':
    case 'drop_db':
      return ctx.statementRules === undefined ? FORWARD : checkSchemaCommand(ctx, command.kind, command.schema);
    // A session's relay answers COM_CHANGE_USER itself (change-user.ts) before policy is asked;
    // a relay without that part refuses it.
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
