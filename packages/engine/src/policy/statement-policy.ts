// The per-statement check of COM_QUERY and COM_STMT_PREPARE (issue: db_names past USE): every
// schema a statement names, and the current schema for unqualified names, must pass the roles'
// db_names; statement classes and tables must pass the statement rules. USE inside a
// multi-statement moves the current schema for the statements after it. Called from one place,
// decideCommand, and only for sessions whose roles ask for it (StatementRules defined).
import type { AccessChecker, AccessDecision, DatabaseTarget, StatementRules } from '@gatehouse/common';
import { type ErrFields, ServerError } from '@gatehouse/mysql-protocol';
import { type AnalysisCache, sharedAnalysisCache } from './analysis-cache.js';
import type { NamedObject } from './sql-analysis.js';

export interface StatementContext {
  readonly user: string;
  readonly database: DatabaseTarget;
  readonly dbUser: string;
  readonly checker: AccessChecker;
  readonly statementRules: StatementRules;
  /** The session's schema as the engine last saw it ('' when none is selected). */
  currentSchema(): string;
  readonly analysisCache?: AnalysisCache;
}

export type StatementVerdict =
  | { readonly kind: 'forward'; readonly schema: string | undefined }
  | { readonly kind: 'deny'; readonly err: ErrFields };

function denyRule(ctx: StatementContext, reason: string): StatementVerdict {
  return {
    kind: 'deny',
    err: { ...ServerError.TableAccessDenied, message: `statement refused for user ${ctx.user}: ${reason}` },
  };
}

function describeObject(object: NamedObject, schema: string): string {
  switch (object.kind) {
    case 'table':
      return `the statement names table '${schema}.${object.name}'`;
    case 'routine':
      return `the statement calls routine '${schema}.${object.name}'`;
    case 'grant':
      return `the statement grants on '${schema}.${object.name}'`;
    case 'database':
      return `the statement names database '${schema}'`;
    case 'object':
      return `the statement names '${schema}.${object.name}'`;
    default:
      return 'USE in the statement';
  }
}

/**
 * db_names decisions by schema, per session checker: a session names few schemas, and the roles
 * behind a checker do not change while it lives. Bounded against a session naming thousands.
 */
const schemaDecisions = new WeakMap<AccessChecker, Map<string, AccessDecision>>();
const SCHEMA_DECISION_LIMIT = 256;

function checkDbName(ctx: StatementContext, schema: string): AccessDecision {
  let decisions = schemaDecisions.get(ctx.checker);
  if (decisions === undefined) {
    decisions = new Map();
    schemaDecisions.set(ctx.checker, decisions);
  }
  let decision = decisions.get(schema);
  if (decision === undefined) {
    decision = ctx.checker.checkDbName({ db: ctx.database, dbUser: ctx.dbUser, dbName: schema });
    if (decisions.size >= SCHEMA_DECISION_LIMIT) decisions.clear();
    decisions.set(schema, decision);
  }
  return decision;
}

function checkObject(ctx: StatementContext, object: NamedObject, current: string): StatementVerdict | undefined {
  const schema = object.schema ?? current;
  // No schema selected and none named: the server answers "No database selected" itself.
  if (schema.length === 0) return undefined;
  // information_schema is the server's catalogue, which it filters by the db user's own grants;
  // every client and GUI reads it, so db_names does not apply to it (statement rules still do).
  if (ctx.statementRules.checkNames && schema.toLowerCase() !== 'information_schema') {
    const decision = checkDbName(ctx, schema);
    if (!decision.allowed) {
      const what = describeObject(object, schema);
      return {
        kind: 'deny',
        err: {
          ...ServerError.DbAccessDenied,
          message: `access denied for user ${ctx.user} to database '${schema}' (${what}): ${decision.reason}`,
        },
      };
    }
  }
  if (object.kind === 'table') {
    const reason = ctx.statementRules.checkTable(schema, object.name);
    if (reason !== undefined) return denyRule(ctx, reason);
  }
  return undefined;
}

/**
 * Decides one SQL text. `truncated`: the engine holds only a prefix of it (past the command
 * prefix limit), which is treated as text the parser cannot read.
 */
export function decideStatement(sql: string, truncated: boolean, ctx: StatementContext): StatementVerdict {
  const analysis = truncated
    ? ({ kind: 'unparsed', classes: [], reason: 'the statement is longer than the engine reads for policy' } as const)
    : (ctx.analysisCache ?? sharedAnalysisCache).analyze(sql);
  if (analysis.kind === 'unparsed') {
    const classReason = analysis.classes.length > 0 ? ctx.statementRules.checkClasses(analysis.classes) : undefined;
    if (classReason !== undefined) return denyRule(ctx, classReason);
    if (ctx.statementRules.unparsed === 'allow') return { kind: 'forward', schema: undefined };
    const roles = ctx.statementRules.unparsedRoles.map((n) => `'${n}'`).join(', ');
    return denyRule(
      ctx,
      `Gatehouse could not parse it to check it against the roles' rules (${analysis.reason}); unparsed statements are refused (options.unparsed_statements: deny, roles ${roles})`,
    );
  }
  let current = ctx.currentSchema();
  let selected: string | undefined;
  for (const statement of analysis.statements) {
    const reason = ctx.statementRules.checkClasses(statement.classes);
    if (reason !== undefined) return denyRule(ctx, reason);
    if (statement.use !== undefined) {
      const verdict = checkObject(ctx, { schema: statement.use, name: '', kind: 'schema' }, current);
      if (verdict !== undefined) return verdict;
      current = statement.use;
      selected = statement.use;
      continue;
    }
    for (const object of statement.objects) {
      const verdict = checkObject(ctx, object, current);
      if (verdict !== undefined) return verdict;
    }
  }
  return { kind: 'forward', schema: selected };
}
