// One strict zod schema per audit event, and the discriminated union on `event` the store
// validates with. See docs/audit.md for what each field means.
import { z } from 'zod';
import { UnixPeerSchema } from '../rbac/unix-peer.js';
import { AUDIT_EVENT_CODES } from './event-codes.js';
import {
  auditCount,
  auditErrorSchema,
  auditEventBaseShape,
  auditOutcomeSchema,
  auditQueryShape,
  auditResultShape,
  auditStatementId,
  auditTypeShape,
} from './event-fields.js';
import {
  dbUserCreateEventSchema,
  dbUserDropEventSchema,
  dbUserLockEventSchema,
  dbUserUpdateEventSchema,
} from './event-schemas-db-user.js';
import { engineDrainEventSchema } from './event-schemas-engine.js';

const base = auditEventBaseShape;

export const sessionStartEventSchema = z
  .strictObject({
    ...base,
    ...auditTypeShape('db.session.start'),
    success: z.boolean(),
    /** The MySQL connection id the database gave the upstream session. */
    thread_id: z.int().min(0).max(0xffff_ffff).optional(),
    /** Connection attributes the client sent (`_program_name`, `_client_version`, …). */
    client_attributes: z.record(z.string().max(256), z.string().max(1024)),
    /** The client's process, when it connected on the proxy's unix socket. */
    unix_peer: UnixPeerSchema.optional(),
    /** The backend of a database cluster the session was routed to. */
    backend: z.string().max(1024).optional(),
    /** Fields added by connection hooks (docs/hooks.md). */
    hook_fields: z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()])).optional(),
    error: auditErrorSchema.optional(),
  })
  .refine((e) => e.success === (e.code === AUDIT_EVENT_CODES['db.session.start'].ok), {
    message: 'code must match success',
    path: ['code'],
  });

export const sessionEndEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.end'),
  session_duration_ms: z.number().min(0).optional(),
  /** Why the gateway closed the session, when it was not the client's choice. */
  error: auditErrorSchema.optional(),
});

export const sessionQueryEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.query'),
  ...auditQueryShape,
  outcome: auditOutcomeSchema,
  duration_ms: z.number().min(0),
  /** The client's text when an onCommand hook rewrote it (`query` is what ran), redacted and bounded. */
  original_query: z.string().optional(),
  /** Fields added by command hooks (docs/hooks.md). */
  hook_fields: z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()])).optional(),
});

export const malformedPacketEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.malformed_packet'),
  reason: z.string().max(4096),
  /** The start of the packet payload, base64. */
  payload: z.base64(),
  payload_length: auditCount,
});

/**
 * An auditor ended a live session (the web app's Live page). The base fields describe the
 * session that was ended, so the event sits in its timeline; `terminated_by` is the auditor.
 * The failed code records an attempt that reached no live session.
 */
export const sessionTerminateEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.terminate'),
  terminated_by: z.string().max(256),
  reason: z.string().max(1024),
  error: auditErrorSchema.optional(),
});

export const statementPrepareEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.prepare'),
  ...auditQueryShape,
  statement_id: auditStatementId.optional(),
  ...auditResultShape,
});

export const statementExecuteEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.execute'),
  statement_id: auditStatementId,
  /** The prepared statement's text, when the engine saw it prepared. */
  ...auditQueryShape,
  /** Decoded parameter values; secrets in secret positions are replaced. */
  parameters: z.array(z.json()),
  outcome: auditOutcomeSchema,
  duration_ms: z.number().min(0),
});

export const statementSendLongDataEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.send_long_data'),
  statement_id: auditStatementId,
  parameter_id: z.int().min(0).max(0xffff),
  data_length: auditCount,
});

export const statementCloseEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.close'),
  statement_id: auditStatementId,
});

export const statementResetEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.reset'),
  statement_id: auditStatementId,
  ...auditResultShape,
});

export const statementFetchEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.fetch'),
  statement_id: auditStatementId,
  rows_count: auditCount,
  ...auditResultShape,
});

export const statementBulkExecuteEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.statements.bulk_execute'),
  statement_id: auditStatementId,
  ...auditQueryShape,
  /** One array of decoded values per row of parameters. */
  parameters: z.array(z.array(z.json())),
  outcome: auditOutcomeSchema,
  duration_ms: z.number().min(0),
});

const schemaName = z.string().max(1024);

export const initDbEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.init_db'),
  schema_name: schemaName,
  ...auditResultShape,
});

export const createDbEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.create_db'),
  schema_name: schemaName,
  ...auditResultShape,
});

export const dropDbEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.drop_db'),
  schema_name: schemaName,
  ...auditResultShape,
});

export const shutDownEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.shut_down'),
  shutdown_level: z.int().min(0).max(255).optional(),
  ...auditResultShape,
});

export const processKillEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.process_kill'),
  process_id: z.int().min(0).max(0xffff_ffff),
  ...auditResultShape,
});

export const debugEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.debug'),
  ...auditResultShape,
});

export const refreshEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.refresh'),
  /** The REFRESH_* flags by name, e.g. "grant,log". */
  subcommand: z.string().max(256),
  ...auditResultShape,
});

export const changeUserEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.change_user'),
  /** The db user before the change (events written before it was recorded lack it). */
  old_db_user: z.string().max(256).optional(),
  new_db_user: z.string().max(256),
  new_db_name: z.string().max(1024).optional(),
  ...auditResultShape,
});

/**
 * A COM_CHANGE_USER the engine carried out: the session now runs as another db user (a refused
 * one stays the command's event, db.session.mysql.change_user, with its error).
 */
export const userChangeEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.user_change'),
  old_db_user: z.string().max(256),
  new_db_user: z.string().max(256),
  new_db_name: z.string().max(1024).optional(),
  ...auditResultShape,
});

/**
 * The session moved to another engine (live migration, docs/migration.md): the engine it left
 * writes this event, naming both engines and both MySQL thread ids. The session id stays.
 */
export const migrateEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.migrate'),
  from_engine_id: z.string().max(256),
  to_engine_id: z.string().max(256),
  from_thread_id: z.int().min(0).max(0xffff_ffff),
  to_thread_id: z.int().min(0).max(0xffff_ffff),
  /** Why the session moved, e.g. "engine drain: SIGTERM". */
  reason: z.string().max(1024),
  ...auditResultShape,
});

export const resetConnectionEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.reset_connection'),
  ...auditResultShape,
});

export const localInfileEventSchema = z.strictObject({
  ...base,
  ...auditTypeShape('db.session.mysql.local_infile'),
  ...auditQueryShape,
  /** The file name the server asked the client for. */
  file_name: z.string().max(4096),
  /** How many bytes the client sent, and their SHA-256 (hex) when the engine saw them all. */
  data_length: auditCount,
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  ...auditResultShape,
});

/** Every audit event, discriminated on `event`. */
export const auditEventSchema = z.discriminatedUnion('event', [
  sessionStartEventSchema,
  sessionEndEventSchema,
  sessionQueryEventSchema,
  malformedPacketEventSchema,
  sessionTerminateEventSchema,
  statementPrepareEventSchema,
  statementExecuteEventSchema,
  statementSendLongDataEventSchema,
  statementCloseEventSchema,
  statementResetEventSchema,
  statementFetchEventSchema,
  statementBulkExecuteEventSchema,
  initDbEventSchema,
  createDbEventSchema,
  dropDbEventSchema,
  shutDownEventSchema,
  processKillEventSchema,
  debugEventSchema,
  refreshEventSchema,
  changeUserEventSchema,
  userChangeEventSchema,
  migrateEventSchema,
  localInfileEventSchema,
  resetConnectionEventSchema,
  dbUserCreateEventSchema,
  dbUserUpdateEventSchema,
  dbUserLockEventSchema,
  dbUserDropEventSchema,
  engineDrainEventSchema,
]);

export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditEventOf<T extends AuditEvent['event']> = Extract<AuditEvent, { event: T }>;
/** The fields every event carries. */
export type AuditEventBase = Pick<AuditEvent, keyof typeof auditEventBaseShape>;
