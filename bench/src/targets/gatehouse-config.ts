// gatehouse.yaml for each shape (DESIGN.md "Config"). Written as JSON, which is valid YAML, so
// the bench needs no YAML library.
import type { BenchDatabase } from './target.js';

export const DB_SERVICE = 'bench-db';

export interface GatehousePorts {
  readonly mysql: number;
  readonly web: number;
  readonly diag: number;
}

export interface ConfigInput {
  readonly dataDir: string;
  readonly ports: GatehousePorts;
  readonly db: BenchDatabase;
  /** Extra top-level audit settings, e.g. the switch that turns query events off. */
  readonly audit?: Record<string, unknown>;
  /** engine.command_latency_metrics (default on), off to measure what it costs. */
  readonly commandLatencyMetrics?: boolean;
  /** engine.hooks: hook module files. */
  readonly hooks?: readonly string[];
  /** Extra databases[].tls settings, e.g. { resumption: false }. */
  readonly databaseTls?: Record<string, unknown>;
  /** proxy.workers, and engine.workers in the split shape (default 1: no session workers). */
  readonly workers?: number;
  /** databases[].admin_user, for automatic database users. */
  readonly adminUser?: Record<string, unknown>;
  /** databases[].compression: compress the engine's leg to the database. */
  readonly databaseCompression?: boolean;
}

function proxySection(input: ConfigInput): Record<string, unknown> {
  return {
    enabled: true,
    mysql_listen: `127.0.0.1:${input.ports.mysql}`,
    web_listen: `127.0.0.1:${input.ports.web}`,
    diag_listen: '127.0.0.1:0',
    public_addr: ['localhost', '127.0.0.1'],
    // The idle-memory measurement opens 2,000 sessions from one address.
    limits: { max_connections: 10_000, max_connections_per_ip: 10_000, handshake_timeout: '30s' },
    ...(input.workers !== undefined ? { workers: input.workers } : {}),
  };
}

function engineSection(
  input: ConfigInput,
  proxyWebPort: number,
  join?: { token: string; ca_pin: string },
): Record<string, unknown> {
  return {
    enabled: true,
    proxy_addr: `127.0.0.1:${proxyWebPort}`,
    ...(join ? { join } : {}),
    // An engine in its own process runs its own workers (docs/scale-out.md "Workers in the split shape").
    ...(join && input.workers !== undefined ? { workers: input.workers } : {}),
    diag_listen: `127.0.0.1:${input.ports.diag}`,
    ...(input.commandLatencyMetrics === false ? { command_latency_metrics: false } : {}),
    ...(input.hooks !== undefined ? { hooks: [...input.hooks] } : {}),
    databases: [
      {
        name: DB_SERVICE,
        uri: `${input.db.host}:${input.db.port}`,
        labels: { env: 'bench' },
        tls: { mode: 'verify-ca', ca_file: input.db.serverCaFile, ...input.databaseTls },
        auth: { mode: 'x509' },
        ...(input.adminUser ? { admin_user: input.adminUser } : {}),
        ...(input.databaseCompression ? { compression: true } : {}),
      },
    ],
  };
}

function base(input: ConfigInput): Record<string, unknown> {
  return {
    version: 'v1',
    data_dir: input.dataDir,
    log: { level: 'info' },
    ...(input.audit ? { audit: input.audit } : {}),
  };
}

/** The embedded shape: auth, proxy and engine in one process. */
export function buildOneProcessConfig(input: ConfigInput): string {
  const config = {
    ...base(input),
    auth: { enabled: true },
    proxy: proxySection(input),
    engine: engineSection(input, input.ports.web),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The split shape, first process: auth and proxy. */
export function buildProxyConfig(input: ConfigInput): string {
  const config = { ...base(input), auth: { enabled: true }, proxy: proxySection(input), engine: { enabled: false } };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The split shape, second process: an engine that joins the proxy with a token. */
export function buildEngineConfig(
  input: ConfigInput,
  proxyWebPort: number,
  join: { token: string; ca_pin: string },
): string {
  const config = {
    ...base(input),
    auth: { enabled: false },
    proxy: { enabled: false },
    engine: engineSection(input, proxyWebPort, join),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** gatehouse-1proc-autouser: each session logs in as its person's own database user (docs/db-users.md). */
export const BENCH_AUTO_USER = 'bench_auto';
export const BENCH_AUTO_ROLE_YAML = `kind: role
name: bench-auto
options: { max_session_ttl: 8h, create_db_user: true, db_roles: [bench_role] }
allow: { db_labels: { '*': '*' }, db_names: ['*'] }
`;

export const BENCH_ROLE_YAML = `kind: role
name: bench
options: { max_session_ttl: 8h }
allow: { db_labels: { '*': '*' }, db_users: [bench], db_names: ['*'] }
`;
