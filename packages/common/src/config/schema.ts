// The gatehouse.yaml schema (DESIGN.md "Config"). Strict objects: an unknown key is an error
// with its path, never silently ignored. Durations are written as strings ("10s", "30m") and
// parsed to milliseconds here, so the rest of the code only sees numbers.
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { DEFAULT_KEEPALIVE, KeepaliveSchema } from './keepalive.js';

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** "host:port" with a numeric port; IPv6 hosts in brackets. */
const hostPort = z.string().refine((text) => /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(text), {
  message: 'expected host:port, e.g. 127.0.0.1:3036',
});

/** A MySQL listener: "host:port", or "unix:/absolute/path.sock" for a unix-domain socket. */
const mysqlListen = z.string().refine((text) => /^unix:\/\S+$/.test(text) || hostPort.safeParse(text).success, {
  message: 'expected host:port (e.g. 127.0.0.1:3036) or unix:/path/to/socket',
});

/** A listener with settings of its own: `{ address: 127.0.0.1:3307, server_version: 8.0.36-gatehouse }`. */
const mysqlListenEntry = z.union([
  mysqlListen,
  z.strictObject({
    address: mysqlListen,
    /** The version this listener's greeting announces, over proxy.server_version and the databases'. */
    server_version: z.string().min(1).max(200).optional(),
  }),
]);

const cidr = z.string().refine(
  (text) => {
    const [addr, bits, extra] = text.split('/');
    if (extra !== undefined || !addr || !isIP(addr)) return false;
    if (bits === undefined) return true;
    const max = isIP(addr) === 4 ? 32 : 128;
    return /^\d+$/.test(bits) && Number(bits) <= max;
  },
  { message: 'expected an IP address or CIDR, e.g. 10.0.0.0/8' },
);

const labelName = z.string().regex(/^[A-Za-z0-9_.\-/]+$/, 'labels use letters, digits, _ . - /');

const credential = z
  .strictObject({ password_env: z.string().min(1).optional(), password_file: z.string().min(1).optional() })
  .refine((c) => (c.password_env === undefined) !== (c.password_file === undefined), {
    message: 'set exactly one of password_env or password_file',
  });

/** The oldest TLS version a leg accepts; 1.0 and 1.1 are not offered at all. */
const tlsMinVersion = z.enum(['TLSv1.2', 'TLSv1.3']);

/**
 * An OpenSSL cipher list (TLS 1.2 names, and TLS_* suite names for TLS 1.3), checked by
 * OpenSSL itself: a list that matches no cipher is refused here rather than at the first handshake.
 */
const tlsCiphers = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    try {
      createSecureContext({ ciphers: text });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `OpenSSL accepts no cipher in '${text}': ${(err as Error).message}` });
    }
  });

export const DatabaseTlsSchema = z.strictObject({
  mode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).default('verify-full'),
  ca_file: z.string().min(1).optional(),
  server_name: z.string().min(1).optional(),
  min_version: tlsMinVersion.default('TLSv1.2'),
  ciphers: tlsCiphers.optional(),
  /** Reuse TLS sessions to this database, one per db user (see docs/identity.md). */
  resumption: z.boolean().default(true),
});

/** The proxy's MySQL port (the client leg). */
export const ProxyTlsSchema = z.strictObject({
  min_version: tlsMinVersion.default('TLSv1.2'),
  ciphers: tlsCiphers.optional(),
  /** Session ids and tickets (TLS 1.2), PSK tickets (TLS 1.3); false: every client gets a full handshake. */
  resumption: z.boolean().default(true),
});

export const DatabaseAuthSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('x509') }),
  z.strictObject({
    mode: z.literal('password'),
    credentials: z.record(z.string().min(1), credential),
    /**
     * The server's RSA public key (PEM), for caching_sha2_password / sha256_password full auth
     * without TLS. Without it the key is asked of the server, which trusts the network path.
     */
    server_public_key_file: z.string().min(1).optional(),
  }),
]);

/**
 * A duration, or the milliseconds it parses to: a database entry is sometimes parsed again
 * from its own output (tests, tools), which must give the same entry.
 */
const durationOrMs = z.union([z.number().int().min(0), duration]);

const databaseUri = z
  .string()
  .min(1)
  .refine((uri) => uri.startsWith('unix:') || hostPort.safeParse(uri).success, {
    message: 'uri must be host:port or unix:/path',
  })
  .describe('host:port, or unix:/path/to/socket');

/** One server of a database service (docs/architecture.md, "Database clusters"). */
export const BackendSchema = z.strictObject({
  uri: databaseUri,
  /** Relative share of sessions among equals (`any`, `prefer_replica`, `consistent_hash`). */
  weight: z.number().int().min(1).max(1000).default(1),
  labels: z.record(labelName, z.string()).default({}),
});

export const RoutingSchema = z.strictObject({
  policy: z.enum(['primary', 'prefer_replica', 'any', 'consistent_hash']).default('primary'),
  /** prefer_replica and cert routes to replicas: a replica further behind than this is skipped. */
  max_replica_lag: durationOrMs.default(30_000),
  /** consistent_hash: what picks the backend. */
  hash_on: z.enum(['user', 'client_address']).default('user'),
  /** Close a backend's sessions with an ERR when it goes down or changes role. */
  disconnect_unavailable: z.boolean().default(false),
});

export const MonitorSchema = z.strictObject({
  /** Default: engine.health_check_interval. */
  interval: durationOrMs.optional(),
  timeout: durationOrMs.default(5_000),
  /**
   * The db user the monitor logs in as to read @@read_only, replication and Galera state (same
   * auth mode as sessions). Without it the monitor only checks reachability and the version,
   * and every backend's role is `unknown`.
   */
  user: z.string().min(1).optional(),
  /** Consecutive failed checks before a backend is unhealthy. */
  failures: z.number().int().min(1).max(100).default(1),
});

/**
 * The login the engine uses to make, update, lock and drop automatic database users
 * (docs/db-users.md). Without password_file it logs in with a db-client certificate (CN=name).
 */
export const DatabaseAdminUserSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,79}$/, 'letters, digits, _ . @ -; at most 80 characters'),
  password_file: z.string().min(1).optional(),
  /** How often users whose sessions all ended without a word (an engine crash) are locked. */
  sweep_interval: durationOrMs.default(60_000),
});

export const DatabaseSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'lower-case letters, digits, _ . -; at most 63 characters'),
    uri: databaseUri.optional(),
    backends: z.array(BackendSchema).min(1).max(64).optional(),
    labels: z.record(labelName, z.string()).default({}),
    tls: DatabaseTlsSchema.default({ mode: 'verify-full', min_version: 'TLSv1.2', resumption: true }),
    auth: DatabaseAuthSchema.default({ mode: 'x509' }),
    routing: RoutingSchema.default(RoutingSchema.parse({})),
    monitor: MonitorSchema.default(MonitorSchema.parse({})),
    /** Send a PROXY header to the database, so its grants and processlist see the client. */
    send_proxy_protocol: z.enum(['v1', 'v2']).optional(),
    /**
     * Protocol compression (CLIENT_COMPRESS) between the engine and the database, when the server
     * offers it. It costs CPU on both ends per query and saves bytes on bulk reads; it pays off
     * only on a slow or metered link (docs/performance.md). The client leg is independent.
     */
    compression: z.boolean().default(false),
    /** The version the proxy announces for this database; default what the primary reports. */
    server_version: z.string().min(1).max(200).optional(),
    /** Needed by roles with create_db_user (docs/db-users.md). */
    admin_user: DatabaseAdminUserSchema.optional(),
  })
  // Both are accepted only as the parsed form gives them (uri = the first backend's).
  .refine(
    (db) =>
      (db.uri === undefined) !== (db.backends === undefined) ||
      (db.uri !== undefined && db.uri === db.backends?.[0]?.uri),
    {
      message: 'set exactly one of uri or backends',
      path: ['uri'],
    },
  )
  .refine((db) => db.tls.mode === 'disable' || db.tls.mode === 'require' || db.tls.ca_file !== undefined, {
    message: 'tls.ca_file is required for verify-ca and verify-full',
    path: ['tls', 'ca_file'],
  })
  .refine((db) => new Set((db.backends ?? []).map((b) => b.uri)).size === (db.backends ?? []).length, {
    message: 'backend uris must be unique',
    path: ['backends'],
  })
  // One shape for the rest of the code: `backends` always, `uri` the first backend's (what
  // messages name when there is one server).
  .transform((db) => {
    const backends = db.backends ?? [{ uri: db.uri!, weight: 1, labels: {} }];
    return { ...db, uri: backends[0]!.uri, backends };
  });

/** proxy.workers / engine.workers: a count, or `auto` for os.availableParallelism(). */
const workerCount = z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default(1);

export const ProxyConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The proxy's id (certificate CN, audit proxy_id); default proxy-<hostname>. Unique per proxy. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$/, 'letters, digits, _ . @ -')
    .optional(),
  /** One listener or a list; unix sockets give the roles' unix_peers rules something to check. */
  mysql_listen: z.union([mysqlListen, z.array(mysqlListenEntry).min(1)]).default('127.0.0.1:3036'),
  web_listen: hostPort.default('127.0.0.1:3080'),
  /** /healthz, /readyz and /metrics, off the public port (DESIGN.md "Default ports"). */
  diag_listen: hostPort.default('127.0.0.1:3081'),
  public_addr: z.array(z.string().min(1)).min(1).default(['localhost']),
  /**
   * host:port at which engines reach this proxy's tunnel (its web listener), registered in a
   * shared (postgres) store so engines keep a tunnel to every proxy. Default: the first
   * public_addr and the web_listen port.
   */
  tunnel_public_addr: hostPort.optional(),
  server_version: z.string().default(''),
  proxy_protocol: z.strictObject({ trusted_networks: z.array(cidr).default([]) }).default({ trusted_networks: [] }),
  tls: ProxyTlsSchema.default({ min_version: 'TLSv1.2', resumption: true }),
  limits: z
    .strictObject({
      max_connections: z.number().int().positive().default(10_000),
      max_connections_per_ip: z.number().int().positive().default(1_000),
      handshake_timeout: duration.default(10_000),
    })
    .default({ max_connections: 10_000, max_connections_per_ip: 1_000, handshake_timeout: 10_000 }),
  /** Client sockets and the tunnel's server side. */
  tcp_keepalive: KeepaliveSchema.default(DEFAULT_KEEPALIVE),
  /** Session worker processes (docs/architecture.md "Workers"); `auto`: one per available core. */
  workers: workerCount,
  /**
   * With workers and no engine in this process (the split shape): where each worker's own tunnel
   * listener binds, worker i at port + i (port 0: any free port). Default: web_listen's host, port 0.
   * Engines learn the addresses from the cluster state (docs/scale-out.md "Workers").
   */
  worker_tunnel_listen: hostPort.optional(),
});

export const EngineConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  name: z.string().min(1).optional(),
  proxy_addr: hostPort.default('127.0.0.1:3080'),
  join: z
    .strictObject({ token: z.string().default(''), ca_pin: z.string().default('') })
    .default({ token: '', ca_pin: '' }),
  diag_listen: hostPort.default('127.0.0.1:3082'),
  /** Time every command for gatehouse_engine_command_seconds (docs/metrics.md); false only to measure its cost. */
  command_latency_metrics: z.boolean().default(true),
  health_check_interval: duration.default(15_000),
  /** ES modules with connection hooks (docs/hooks.md), run in order; re-imported on SIGHUP. */
  hooks: z.array(z.string().min(1)).max(32).default([]),
  /** The budget of one hook call; a hook that runs over it denies the session. */
  hook_timeout: duration.default(250),
  /** Database sockets and the tunnel's client side. */
  tcp_keepalive: KeepaliveSchema.default(DEFAULT_KEEPALIVE),
  /**
   * Live session migration (docs/migration.md): how long a draining engine waits for a session
   * to become movable (a transaction to end, a lock to go) before it closes it with an ERR.
   */
  migration: z.strictObject({ wait: duration.default(30_000) }).default({ wait: 30_000 }),
  /** Session worker processes; in one process with the proxy, 1 or proxy.workers (docs/architecture.md "Workers"). */
  workers: workerCount,
  databases: z
    .array(DatabaseSchema)
    .default([])
    .refine((dbs) => new Set(dbs.map((d) => d.name)).size === dbs.length, { message: 'database names must be unique' }),
});

export const StorageTlsSchema = z.strictObject({
  mode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).default('verify-full'),
  ca_file: z.string().min(1).optional(),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
});

/**
 * Where the cluster state (users, roles, tokens, locks, CAs) and the audit log live: files under
 * data_dir (the embedded default), or one PostgreSQL database shared by every auth process.
 */
export const StorageConfigSchema = z
  .strictObject({
    backend: z.enum(['file', 'postgres']).default('file'),
    /** postgres://user@host:5432/gatehouse; a password may come from PGPASSWORD or ~/.pgpass instead. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
    tls: StorageTlsSchema.optional(),
    /** 32 bytes (hex or base64) that encrypt CA private keys in the database. */
    encryption_key_file: z.string().min(1).optional(),
    encryption_key_env: z.string().min(1).optional(),
    max_connections: z.number().int().positive().default(10),
  })
  .refine((s) => s.backend !== 'postgres' || s.url !== undefined, {
    message: 'storage.url is required for the postgres backend',
    path: ['url'],
  })
  .refine(
    (s) => s.backend !== 'postgres' || (s.encryption_key_file === undefined) !== (s.encryption_key_env === undefined),
    {
      message:
        'the postgres backend needs exactly one of encryption_key_file or encryption_key_env (CA keys are encrypted at rest)',
      path: ['encryption_key_file'],
    },
  );

export const AuditConfigSchema = z.strictObject({
  query_max_bytes: z.number().int().min(256).default(65_536),
  /**
   * false: no db.session.query and no db.session.mysql.statements.* events (the per-query cost
   * of audit); session start/end, denials, schema changes and malformed packets are still logged.
   */
  query_events: z.boolean().default(true),
  /** PostgreSQL audit store: drop whole days of events older than this ("90d"). Unset keeps everything. */
  retention: duration.optional(),
  /**
   * What the engine's audit spool must survive before a client hears a command's reply: the
   * event is always written (write(2)) first; 'batch' also fdatasyncs each batch, 'always' each
   * event (docs/audit.md, "Write-ahead of the answer").
   */
  spool_sync: z.enum(['none', 'batch', 'always']).default('none'),
  /**
   * The file store's writer (hash chain, log writes) in a thread of its own, off the sessions'
   * event loop: 'auto' (the default) when more than two cores are available (docs/audit.md).
   */
  writer_thread: z.enum(['auto', 'on', 'off']).default('auto'),
});

export const GatehouseConfigSchema = z.strictObject({
  version: z.literal('v1').default('v1'),
  data_dir: z.string().min(1).default('./gatehouse-data'),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
  storage: StorageConfigSchema.default({ backend: 'file', max_connections: 10 }),
  auth: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  proxy: ProxyConfigSchema.default(ProxyConfigSchema.parse({})),
  engine: EngineConfigSchema.default(EngineConfigSchema.parse({})),
  audit: AuditConfigSchema.default({
    query_max_bytes: 65_536,
    query_events: true,
    spool_sync: 'none',
    writer_thread: 'auto',
  }),
});

export type GatehouseConfig = z.output<typeof GatehouseConfigSchema>;
export type ProxyConfig = GatehouseConfig['proxy'];
export type EngineConfig = GatehouseConfig['engine'];
export type DatabaseConfig = EngineConfig['databases'][number];
export type DatabaseAdminUserConfig = NonNullable<DatabaseConfig['admin_user']>;
export type BackendConfig = DatabaseConfig['backends'][number];
export type RoutingPolicy = DatabaseConfig['routing']['policy'];
export type AuditConfig = GatehouseConfig['audit'];
export type StorageConfig = GatehouseConfig['storage'];
