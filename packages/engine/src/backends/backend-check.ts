// One monitor check of one backend: reachability and the version it announces
// (FetchMySQLVersion), then, with a monitor user, a login and three reads that decide its role:
// @@read_only, the replication status (SHOW REPLICA STATUS, or SHOW SLAVE STATUS on servers
// without that syntax) and Galera's wsrep_local_state. The monitor's own connections carry a
// PROXY "LOCAL" header when the database expects PROXY headers.
import { readFile } from 'node:fs/promises';
import type { BackendConfig, DatabaseConfig } from '@gatehouse/common';
import {
  connectUpstream,
  fetchMysqlVersion,
  type UpstreamConnection,
  type UpstreamTlsOptions,
} from '@gatehouse/mysql-protocol';
import type { BackendInfo } from '@gatehouse/tunnel';
import type { DbClientCertSigner } from '../cluster/engine-cluster.js';
import { buildTls, parseDatabaseAddress, readPassword, readServerPublicKey } from '../session/upstream-options.js';
import { MonitorQueryError, type MonitorRow, queryRows } from './monitor-query.js';
import { localProxyHeader } from './proxy-header.js';

/** Galera's wsrep_local_state for a node that serves queries (4: Synced). */
const GALERA_SYNCED = '4';
/** ER_PARSE_ERROR: the server predates SHOW REPLICA STATUS. */
const PARSE_ERROR = 1064;

/** BackendInfo plus the greeting's capabilities, which the database's info takes from its primary. */
export interface BackendCheck extends BackendInfo {
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
  /** What the check's TLS handshake negotiated (absent with tls mode disable). */
  readonly tlsProtocol?: string;
  readonly tlsCipher?: string;
}

/** The database's TLS settings, as a session uses them, less the client certificate. */
async function checkTlsOptions(db: DatabaseConfig): Promise<UpstreamTlsOptions> {
  const tls = db.tls;
  let ca: string | undefined;
  if (tls.ca_file !== undefined) {
    try {
      ca = await readFile(tls.ca_file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read tls.ca_file ${tls.ca_file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return {
    mode: tls.mode,
    ...(ca !== undefined ? { ca } : {}),
    ...(tls.server_name !== undefined ? { servername: tls.server_name } : {}),
    minVersion: tls.min_version,
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
  };
}

export interface CheckBackendOptions {
  readonly timeoutMs: number;
  readonly signer: DbClientCertSigner;
  /** How long a monitor's db-client certificate should live (x509 databases). */
  readonly certTtlMs?: number;
}

function down(backend: BackendConfig, message: string): BackendCheck {
  return {
    uri: backend.uri,
    role: 'unknown',
    health: 'unhealthy',
    healthMessage: message.slice(0, 4096),
    serverVersion: '',
    weight: backend.weight,
    capabilities: 0,
    mariadbCapabilities: 0,
  };
}

export async function checkBackend(
  db: DatabaseConfig,
  backend: BackendConfig,
  options: CheckBackendOptions,
): Promise<BackendCheck> {
  const address = parseDatabaseAddress(backend.uri);
  if (address === undefined) return down(backend, `invalid uri '${backend.uri}'`);
  const proxyHeader = localProxyHeader(db);
  const base = { ...(proxyHeader !== undefined ? { proxyHeader } : {}), timeoutMs: options.timeoutMs };
  let greeting: Awaited<ReturnType<typeof fetchMysqlVersion>>;
  try {
    greeting = await fetchMysqlVersion(address, { ...base, tls: await checkTlsOptions(db) });
  } catch (err) {
    return down(backend, (err as Error).message);
  }
  const reachable: BackendCheck = {
    uri: backend.uri,
    role: 'unknown',
    health: 'healthy',
    serverVersion: greeting.version,
    weight: backend.weight,
    capabilities: greeting.handshake.capabilities >>> 0,
    mariadbCapabilities: greeting.handshake.mariaDbCapabilities >>> 0,
    ...(greeting.tls !== undefined ? { tlsProtocol: greeting.tls.protocol, tlsCipher: greeting.tls.cipher } : {}),
  };
  const monitorUser = db.monitor.user;
  if (monitorUser === undefined) return reachable;
  let upstream: UpstreamConnection | undefined;
  try {
    const notAfter = new Date(Date.now() + (options.certTtlMs ?? 3_600_000));
    const input = { database: db, signer: options.signer, auth: { dbUser: monitorUser, identity: { notAfter } } };
    const [password, tls, serverPublicKey] = await Promise.all([
      readPassword(input),
      buildTls(input),
      readServerPublicKey(input),
    ]);
    upstream = await connectUpstream({
      ...base,
      address,
      user: monitorUser,
      password,
      tls,
      ...(serverPublicKey !== undefined ? { serverPublicKey } : {}),
      attributes: new Map([['program_name', 'gatehouse-monitor']]),
    });
    return { ...reachable, ...(await readRole(upstream, options.timeoutMs)) };
  } catch (err) {
    return { ...down(backend, `monitor: ${(err as Error).message}`), serverVersion: greeting.version };
  } finally {
    upstream?.socket.destroy();
  }
}

type RoleFields = Pick<BackendInfo, 'role' | 'readOnly' | 'lagSeconds' | 'galeraState' | 'health' | 'healthMessage'>;

async function readReplicaStatus(upstream: UpstreamConnection, timeoutMs: number): Promise<MonitorRow | undefined> {
  try {
    return (await queryRows(upstream, 'SHOW REPLICA STATUS', timeoutMs))[0];
  } catch (err) {
    if (!(err instanceof MonitorQueryError) || err.errno !== PARSE_ERROR) throw err;
    return (await queryRows(upstream, 'SHOW SLAVE STATUS', timeoutMs))[0];
  }
}

/** How far behind the primary: null when replication is configured but a thread is stopped. */
function lagOf(status: MonitorRow): number | null {
  const sql = status.Slave_SQL_Running ?? status.Replica_SQL_Running;
  const io = status.Slave_IO_Running ?? status.Replica_IO_Running;
  if (sql !== 'Yes' || io !== 'Yes') return null;
  const lag = status.Seconds_Behind_Master ?? status.Seconds_Behind_Source;
  return lag === null || lag === undefined ? null : Number(lag);
}

async function readRole(upstream: UpstreamConnection, timeoutMs: number): Promise<RoleFields> {
  const [flags] = await queryRows(upstream, 'SELECT @@global.read_only AS read_only', timeoutMs);
  const readOnly = flags?.read_only === '1';
  const galera = await queryRows(upstream, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state%'", timeoutMs);
  const wsrep = new Map(galera.map((r) => [r.Variable_name ?? '', r.Value ?? '']));
  if (wsrep.has('wsrep_local_state')) {
    const state = wsrep.get('wsrep_local_state');
    const galeraState = wsrep.get('wsrep_local_state_comment') || `state ${state}`;
    // Every synced Galera node takes writes; one that is not synced serves nothing.
    if (state !== GALERA_SYNCED) {
      return {
        role: 'unknown',
        readOnly,
        galeraState,
        health: 'unhealthy',
        healthMessage: `Galera node is ${galeraState}`,
      };
    }
    return { role: readOnly ? 'replica' : 'primary', readOnly, galeraState, health: 'healthy' };
  }
  let status: MonitorRow | undefined;
  try {
    status = await readReplicaStatus(upstream, timeoutMs);
  } catch (err) {
    // Without the privilege (SLAVE MONITOR / REPLICATION CLIENT) the role rests on read_only.
    if (!(err instanceof MonitorQueryError)) throw err;
  }
  if (status !== undefined) return { role: 'replica', readOnly, lagSeconds: lagOf(status), health: 'healthy' };
  return { role: readOnly ? 'replica' : 'primary', readOnly, health: 'healthy' };
}
