// The control requests an engine in another process sends to the proxy over the tunnel, to see
// the cluster state the auth part owns (user CAs, roles, users, locks), to get ephemeral
// db-client certificates, and to deliver audit events. The proxy answers them from the auth
// part; the engine never holds a CA key or the store. See docs/architecture.md, "Cluster
// requests". Bodies are JSON validated with these schemas on both sides.
import { z } from 'zod';
import { auditEventSchema } from '../audit/event-schemas.js';
import { LockSchema, RoleSchema, UserSchema } from '../rbac/schemas.js';
import { EngineDrainSchema } from './engine-drain.js';

/** Method names for TunnelConnection.request / handle. */
export const ClusterMethod = {
  /** Engine → proxy: the cluster state, or "unchanged" when `since` is still current. */
  State: 'cluster.state',
  /** Engine → proxy: an ephemeral db-client certificate (CN = db user). */
  SignDbClient: 'cert.sign_db_client',
  /** Engine → proxy: a batch of audit events; the reply is the ack (stored durably). */
  AuditAppend: 'audit.append',
  /** Proxy → engine: close a live session with an ERR naming who ended it and why. */
  SessionTerminate: 'session.terminate',
  /** Engine → proxy: stop sending a session's client bytes to this engine (live migration). */
  SessionPause: 'session.pause',
  /** Engine → proxy: send them again (the session did not move after all). */
  SessionResume: 'session.resume',
  /** Engine → proxy: move a paused session to another engine with this handoff. */
  SessionMove: 'session.move',
} as const;

/** session.pause / session.resume request. */
export const SessionPauseRequestSchema = z.strictObject({ sessionId: z.string().min(1).max(128) });
/** session.pause reply: every client byte the proxy wrote to this engine's stream so far. */
export const SessionPauseResponseSchema = z.strictObject({ sent: z.int().min(0) });

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/** A prepared statement the new engine prepares again; the client keeps `clientId`. */
export const HandoffStatementSchema = z.strictObject({
  clientId: z.int().min(1).max(0xffff_ffff),
  sql: z.string().max(64 * 1024),
  paramCount: z.int().min(0).max(0xffff),
  /** The types last bound (two bytes a parameter), base64. */
  paramTypes: base64.max(4 * 65_536).optional(),
});

/**
 * What a session carries to its new engine (docs/migration.md): the SQL that rebuilds its state
 * (user variable values already read back), its prepared statements, and the state itself so
 * that the new engine can move it again.
 */
export const SessionHandoffSchema = z.strictObject({
  fromEngineId: z.string().min(1).max(256),
  fromThreadId: z.int().min(0).max(0xffff_ffff),
  reason: z.string().max(1024),
  /** When the session started (ms since the epoch), for its end event's duration. */
  startedAt: z.number().min(0),
  schema: z.string().max(1024),
  replay: z.array(z.string().max(1024 * 1024)).max(4200),
  variables: z.record(z.string().max(256), z.string().max(64 * 1024)),
  userVariables: z.array(z.string().max(256)).max(4096),
  /** SQL-level prepared statements by name: the PREPARE that made each (also in `replay`). */
  sqlPrepared: z.record(z.string().max(256), z.string().max(1024 * 1024)),
  statusFlags: z.int().min(0).max(0xffff),
  statements: z.array(HandoffStatementSchema).max(65_536),
  /** What the client sent after the session was held, which its first engine never read (base64). */
  clientBytes: base64.max(16 * 1024 * 1024),
});
export type SessionHandoff = z.infer<typeof SessionHandoffSchema>;

/** session.move request. */
export const SessionMoveRequestSchema = z.strictObject({
  sessionId: z.string().min(1).max(128),
  handoff: SessionHandoffSchema,
});
export type SessionMoveRequest = z.infer<typeof SessionMoveRequestSchema>;

/** session.move reply: where the session went, or why it did not. */
export const SessionMoveResponseSchema = z.discriminatedUnion('moved', [
  z.strictObject({ moved: z.literal(true), engineId: z.string().max(256), threadId: z.int().min(0) }),
  z.strictObject({
    moved: z.literal(false),
    reason: z.string().max(2048),
    /** No other engine serves the database at all: trying again soon will not help. */
    noPeer: z.boolean().optional(),
  }),
]);
export type SessionMoveResponse = z.infer<typeof SessionMoveResponseSchema>;
export type ClusterMethodName = (typeof ClusterMethod)[keyof typeof ClusterMethod];

const isoTime = z.iso.datetime({ offset: true });

/** session.terminate request (the web app's Live page, through the proxy). */
export const SessionTerminateRequestSchema = z.strictObject({
  sessionId: z.string().min(1).max(128),
  /** The auditor, as the client's ERR names them. */
  by: z.string().min(1).max(256),
  reason: z.string().min(1).max(1024),
});
export type SessionTerminateRequest = z.infer<typeof SessionTerminateRequestSchema>;

/** session.terminate reply: whether this engine had the session. */
export const SessionTerminateResponseSchema = z.strictObject({ found: z.boolean() });

/** cluster.state request. Engines poll it (about every 2 s) so lock changes reach live sessions. */
export const ClusterStateRequestSchema = z.strictObject({
  /** The `version` of the last state the engine holds; omitted on the first poll. */
  since: z.string().max(256).optional(),
});
export type ClusterStateRequest = z.infer<typeof ClusterStateRequestSchema>;

/** A user CA certificate the engine must trust; `trustedUntil` is set for a rotated-out CA in its grace period. */
export const TrustedUserCaSchema = z.strictObject({
  /** PEM. */
  certificate: z
    .string()
    .min(1)
    .max(64 * 1024),
  trustedUntil: isoTime.optional(),
});
export type TrustedUserCa = z.infer<typeof TrustedUserCaSchema>;

/** A proxy engines should keep a tunnel to: its id and the host:port of its tunnel (HTTPS) listener. */
export const ProxyTunnelSchema = z.strictObject({
  id: z.string().min(1).max(128),
  addr: z.string().min(1).max(300),
});
export type ProxyTunnel = z.infer<typeof ProxyTunnelSchema>;

export const ClusterStateSchema = z.strictObject({
  /** Opaque; changes whenever any part of the state changes. */
  version: z.string().min(1).max(256),
  userCas: z.array(TrustedUserCaSchema).max(16),
  roles: z.array(RoleSchema),
  users: z.array(UserSchema),
  /** Active locks only. */
  locks: z.array(LockSchema),
  /**
   * The live proxies (registered in a shared store, heartbeat not expired). Absent with the file
   * store: one proxy, the one the engine dials.
   */
  proxies: z.array(ProxyTunnelSchema).max(256).optional(),
  /** Drain requests not yet expired (`gatectl engine drain`); absent from proxies that predate them. */
  drains: z.array(EngineDrainSchema).max(4096).optional(),
});
export type ClusterState = z.infer<typeof ClusterStateSchema>;

export const ClusterStateResponseSchema = z.discriminatedUnion('changed', [
  z.strictObject({ changed: z.literal(true), state: ClusterStateSchema }),
  z.strictObject({ changed: z.literal(false), version: z.string().min(1).max(256) }),
]);
export type ClusterStateResponse = z.infer<typeof ClusterStateResponseSchema>;

/**
 * cert.sign_db_client request. The auth part's PKI generates the key pair (its issuance API
 * takes no CSR), so the reply carries the private key; it travels only over the mTLS tunnel
 * and the engine keeps it in memory.
 */
export const SignDbClientRequestSchema = z.strictObject({
  dbUser: z.string().min(1).max(256),
  /** The certificate must not outlive this: the user's own certificate expiry. */
  notAfter: isoTime,
  /** Wanted lifetime; the signer caps it at `notAfter` and its own maximum. */
  ttlMs: z.number().int().positive().optional(),
});
export type SignDbClientRequest = z.infer<typeof SignDbClientRequestSchema>;

export const SignDbClientResponseSchema = z.strictObject({
  /** PEM certificate. */
  certificate: z
    .string()
    .min(1)
    .max(64 * 1024),
  /** PEM PKCS#8 private key. */
  privateKey: z
    .string()
    .min(1)
    .max(64 * 1024),
  notAfter: isoTime,
});
export type SignDbClientResponse = z.infer<typeof SignDbClientResponseSchema>;

/** audit.append request: events in spool order; redelivery is idempotent by uid. */
export const AuditAppendRequestSchema = z.strictObject({
  events: z.array(auditEventSchema).min(1).max(4096),
});
export type AuditAppendRequest = z.infer<typeof AuditAppendRequestSchema>;

/** audit.append response, sent only once the events are durable. */
export const AuditAppendResponseSchema = z.strictObject({
  appended: z.number().int().min(0),
  duplicates: z.number().int().min(0),
});
export type AuditAppendResponse = z.infer<typeof AuditAppendResponseSchema>;
