// Zod schemas for the identity state: roles (exactly DESIGN.md's "Roles" section), users,
// provisioning tokens and locks. Types are inferred from the schemas so the two never drift.
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { checkStatementClass } from './statement-classes.js';
import { UnixPeerRuleSchema } from './unix-peer.js';

/**
 * Names of users and roles double as file names in the file store and as MySQL-ish
 * identifiers in messages, so they are kept to a safe alphabet (no '/', no leading dot).
 */
export const ObjectNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/,
    'must be 1-64 characters of letters, digits, _ . @ - (not starting with . @ -)',
  );

/** A duration as people write it ("30m", "8h", "1h30m"), kept as text so it prints back as written. */
export const DurationSchema = z.string().superRefine((text, ctx) => {
  try {
    if (parseDuration(text) <= 0) ctx.addIssue({ code: 'custom', message: `duration '${text}' must be positive` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g;
const KNOWN_TEMPLATES = new Set(['internal.db_users', 'internal.db_names']);

/** A db_users / db_names entry: a literal, a glob with '*', or a {{internal.*}} template. */
const RulePatternSchema = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((text, ctx) => {
    const names = [...text.matchAll(TEMPLATE)].map((m) => m[1] ?? '');
    if (names.length > 1) ctx.addIssue({ code: 'custom', message: `'${text}' has more than one template` });
    for (const name of names) {
      if (!KNOWN_TEMPLATES.has(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown template '{{${name}}}': use {{internal.db_users}} or {{internal.db_names}}`,
        });
      }
    }
    if (names.length === 0 && (text.includes('{{') || text.includes('}}'))) {
      ctx.addIssue({ code: 'custom', message: `'${text}' has an unclosed template` });
    }
  });

/** Label values may be one string or a list; each may be a glob. */
const LabelValueSchema = z.union([z.string().min(1, 'must not be empty'), z.array(z.string().min(1)).min(1)]);

export const DbLabelsSchema = z.record(z.string().min(1), LabelValueSchema).superRefine((labels, ctx) => {
  const wildcard = labels['*'];
  if (wildcard !== undefined && wildcard !== '*' && !(Array.isArray(wildcard) && wildcard.every((v) => v === '*'))) {
    ctx.addIssue({ code: 'custom', path: ['*'], message: "the '*' label key only matches with the value '*'" });
  }
});

/** A statement class ('select', 'alter user'; statement-classes.ts), written in any case. */
const StatementClassSchema = z
  .string()
  .transform((text) => text.trim().toLowerCase().replace(/\s+/g, ' '))
  .superRefine((entry, ctx) => {
    const problem = checkStatementClass(entry);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A `schema.table` glob for deny.tables ('hr.salaries', 'hr.*'). */
const TablePatternSchema = z.string().regex(/^[^.\s]+\.[^.\s]+$/, "must be 'schema.table' (either part may be a glob)");

export const RoleConditionsSchema = z.strictObject({
  db_labels: DbLabelsSchema.optional(),
  db_users: z.array(RulePatternSchema).optional(),
  db_names: z.array(RulePatternSchema).optional(),
  /** Statement classes: allow = only these (for the roles that grant the session); deny = never these. */
  statements: z.array(StatementClassSchema).min(1).optional(),
  /** deny only: statements that name one of these tables are refused. */
  tables: z.array(TablePatternSchema).min(1).optional(),
  /** Clients on the proxy's unix socket with these credentials (rbac-and-store.md, "Unix peer credentials"). */
  unix_peers: z.array(UnixPeerRuleSchema).min(1).optional(),
});

/**
 * A MariaDB/MySQL role name for db_roles: a plain alphabet, so that it is quoted safely in the
 * engine's GRANT statements whatever the server's sql_mode; 32 characters fit MySQL's limit.
 */
export const DbRoleNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_$.-]{0,31}$/,
    'must be 1-32 characters of letters, digits, _ $ . - (not starting with $ . -)',
  );

export const RoleOptionsSchema = z.strictObject({
  max_session_ttl: DurationSchema.optional(),
  client_idle_timeout: DurationSchema.optional(),
  disconnect_expired_cert: z.boolean().optional(),
  /** COM_BINLOG_DUMP(_GTID) and COM_REGISTER_SLAVE are denied unless a granting role allows them. */
  allow_replication: z.boolean().optional(),
  /** LOAD DATA LOCAL INFILE is relayed only when a granting role allows it. */
  allow_local_infile: z.boolean().optional(),
  /**
   * The audit review (web app and /v1/audit API): `read` to search, replay and verify the log,
   * `terminate` to end someone's live session. Granted when any of the user's roles says so.
   */
  audit: z
    .strictObject({
      read: z.boolean().optional(),
      terminate: z.boolean().optional(),
    })
    .optional(),
  /**
   * A statement the SQL parser cannot read, when statements are checked (db_names not '*', or
   * statement rules): refused unless this says allow. Default deny.
   */
  unparsed_statements: z.enum(['deny', 'allow']).optional(),
  /**
   * Automatic database users (docs/db-users.md): the session logs in as a database user made
   * for the person on connect, granted exactly `db_roles`, locked (or dropped) when their last
   * session on that database ends.
   */
  create_db_user: z.boolean().optional(),
  db_roles: z.array(DbRoleNameSchema).min(1).max(64).optional(),
  create_db_user_mode: z.enum(['lock', 'drop']).optional(),
});

export const RoleSchema = z
  .strictObject({
    kind: z.literal('role'),
    name: ObjectNameSchema,
    options: RoleOptionsSchema.optional(),
    allow: RoleConditionsSchema.optional(),
    deny: RoleConditionsSchema.optional(),
  })
  .superRefine((role, ctx) => {
    if (role.allow?.tables !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['allow', 'tables'],
        message: 'tables is a deny rule only: allow schemas with db_names',
      });
    }
    checkDbUserOptions(role, ctx);
  });

/** create_db_user and its companions come together; the login is the person's own user. */
interface DbUserOptionsInput {
  readonly options?: z.infer<typeof RoleOptionsSchema> | undefined;
  readonly allow?: { readonly db_users?: readonly string[] | undefined } | undefined;
}

function checkDbUserOptions(role: DbUserOptionsInput, ctx: z.RefinementCtx): void {
  const options = role.options ?? {};
  if (options.create_db_user === true) {
    if (options.db_roles === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'db_roles'],
        message: 'create_db_user needs db_roles: the database roles to grant',
      });
    }
    if (role.allow?.db_users !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['allow', 'db_users'],
        message:
          "a role with create_db_user logs in as the person's own database user: remove db_users (another role may grant shared db users)",
      });
    }
    return;
  }
  for (const key of ['db_roles', 'create_db_user_mode'] as const) {
    if (options[key] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', key],
        message: `${key} applies only with create_db_user: true`,
      });
    }
  }
}

export const TraitsSchema = z.strictObject({
  db_users: z.array(z.string().min(1)).optional(),
  db_names: z.array(z.string().min(1)).optional(),
});

const TimestampSchema = z.iso.datetime({ offset: true });

export const UserSchema = z.strictObject({
  name: ObjectNameSchema,
  roles: z.array(ObjectNameSchema).min(1, 'a user needs at least one role'),
  traits: TraitsSchema,
  created: TimestampSchema,
  updated: TimestampSchema,
});

/** engine: joins an engine (gatectl tokens add); web: a one-time sign-in link (gatectl web login). */
export const TokenTypeSchema = z.enum(['engine', 'web']);

/** A provisioning token. Only the SHA-256 of the secret is kept; the secret is shown once. */
export const TokenSchema = z.strictObject({
  type: TokenTypeSchema,
  secret_hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be 'sha256:' and 64 hex digits"),
  expires: TimestampSchema,
  created: TimestampSchema,
  /** Who a web sign-in token signs in (type web only). */
  user: ObjectNameSchema.optional(),
});

export const LockSchema = z.strictObject({
  target: z.strictObject({ user: ObjectNameSchema }),
  message: z.string(),
  expires: TimestampSchema.optional(),
  created: TimestampSchema,
});

export type Role = z.infer<typeof RoleSchema>;
export type RoleOptions = z.infer<typeof RoleOptionsSchema>;
export type RoleConditions = z.infer<typeof RoleConditionsSchema>;
export type DbLabels = z.infer<typeof DbLabelsSchema>;
export type Traits = z.infer<typeof TraitsSchema>;
export type User = z.infer<typeof UserSchema>;
export type TokenType = z.infer<typeof TokenTypeSchema>;
export type Token = z.infer<typeof TokenSchema>;
export type Lock = z.infer<typeof LockSchema>;
