import { z } from 'zod';
import { TunnelProtocolError } from './errors.js';

// The JSON parts of tunnel frames. Validated on receipt: a peer's JSON is input like any other.

const u32 = z.number().int().min(0).max(0xffffffff);
const name = z.string().min(1).max(256);

export const TunnelErrorPayloadSchema = z.object({
  code: z.string().min(1).max(128),
  message: z.string().max(16384),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** Why a stream was rejected or reset, or a request failed. `code` is a GH_ERR_* code or the peer's own. */
export type TunnelErrorPayload = z.infer<typeof TunnelErrorPayloadSchema>;

export const RouteSchema = z.object({ dbService: name, dbUser: z.string().max(256), dbName: z.string().max(256) });
export type Route = z.infer<typeof RouteSchema>;

/** The JSON part of an OPEN header; the client cert chain travels as DER blobs beside it. */
export const StreamOpenJsonSchema = z.object({
  sessionId: z.string().min(1).max(128),
  clientAddress: z.object({ host: z.string().max(256), port: z.number().int().min(0).max(65535) }),
  route: RouteSchema,
  /** CLIENT_* capability flags from the client's HandshakeResponse. */
  capabilities: u32,
  /** MariaDB extended capabilities (the upper 32 bits), 0 for MySQL clients. */
  mariadbCapabilities: u32,
  connectionAttributes: z.record(z.string(), z.string()),
  /** Room for the integrator: anything else a session needs (e.g. the client's charset). */
  extensions: z.record(z.string(), z.unknown()).optional(),
});

export type StreamOpenJson = z.infer<typeof StreamOpenJsonSchema>;

export interface StreamOpenHeader extends StreamOpenJson {
  /** The client's certificate chain as DER, leaf first. */
  readonly clientCertChain: readonly Buffer[];
}

export const DatabaseHealthSchema = z.enum(['healthy', 'unhealthy', 'unknown']);
export type DatabaseHealth = z.infer<typeof DatabaseHealthSchema>;

/** What the engine's monitor knows of one backend of a database (docs/architecture.md, "Database clusters"). */
export const BackendInfoSchema = z.object({
  uri: z.string().max(1024),
  /** primary: writable; replica: read-only or replicating; unknown: no monitor login. */
  role: z.enum(['primary', 'replica', 'unknown']),
  health: DatabaseHealthSchema,
  healthMessage: z.string().max(4096).optional(),
  serverVersion: z.string().max(256),
  readOnly: z.boolean().optional(),
  /** Seconds_Behind_Master; null when replication is configured but not running. */
  lagSeconds: z.number().nullable().optional(),
  /** Galera's wsrep_local_state_comment, when the server is a Galera node. */
  galeraState: z.string().max(64).optional(),
  weight: z.number().int().min(1),
});
export type BackendInfo = z.infer<typeof BackendInfoSchema>;

export const DatabaseInfoSchema = z.object({
  name,
  labels: z.record(z.string(), z.string()),
  health: DatabaseHealthSchema,
  /** Why the last health check failed, for `gatectl db ls`. */
  healthMessage: z.string().max(4096).optional(),
  /** The version string the server announced (FetchMySQLVersion), '' before the first check. */
  serverVersion: z.string().max(256),
  /** Server capability flags, and MariaDB extended capabilities (0 for MySQL). */
  capabilities: u32,
  mariadbCapabilities: u32,
  /** The TLS protocol and cipher the last health check negotiated (absent with tls mode disable). */
  tlsProtocol: z.string().max(64).optional(),
  tlsCipher: z.string().max(256).optional(),
  /** Each backend as the monitor sees it (older engines send none). */
  backends: z.array(BackendInfoSchema).max(64).optional(),
});
export type DatabaseInfo = z.infer<typeof DatabaseInfoSchema>;

/**
 * serving: takes new sessions. draining: takes none (`gatectl engine drain`, a graceful stop);
 * the proxy routes new sessions to a serving peer.
 */
export const EngineStateSchema = z.enum(['serving', 'draining']);
export type EngineState = z.infer<typeof EngineStateSchema>;

export const EngineRegistrationSchema = z.object({
  engineId: name,
  /** Gatehouse version of the engine. */
  version: z.string().max(64),
  protocol: z.number().int().min(1),
  databases: z.array(DatabaseInfoSchema).max(100000),
  /** Absent from engines that predate draining: serving. */
  state: EngineStateSchema.optional(),
});
export type EngineRegistration = z.infer<typeof EngineRegistrationSchema>;

export const RequestJsonSchema = z.object({ method: z.string().min(1).max(128), body: z.unknown() });

export const ResponseJsonSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), body: z.unknown() }),
  z.object({ ok: z.literal(false), error: TunnelErrorPayloadSchema }),
]);

export function validateJson<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new TunnelProtocolError(`invalid ${what}: ${where ? `${where}: ` : ''}${issue?.message ?? 'bad value'}`);
  }
  return result.data;
}
