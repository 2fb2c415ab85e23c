// Builds the upstream login for a session from the database's config and the authorization:
// x509 with an ephemeral db-client certificate, or a password from an env var or a file; TLS
// per config; the client's capabilities, attributes and database forwarded.
import { readFile } from 'node:fs/promises';
import type { DatabaseConfig } from '@gatehouse/common';
import {
  Capability,
  type ConnectUpstreamOptions,
  type MysqlAddress,
  parseMysqlAddress,
  ServerError,
  type UpstreamConnection,
  type UpstreamTlsOptions,
} from '@gatehouse/mysql-protocol';
import type { StreamOpenHeader } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { DbClientCertSigner } from '../cluster/engine-cluster.js';
import { EngineError } from '../errors.js';
import type { Authorization } from './authorize.js';
import type { SessionExtensions } from './session-header.js';

/** CLIENT_* flags that change the bytes on the wire: both legs must agree on every one. */
export const WIRE_FORMAT_CAPABILITIES =
  Capability.DeprecateEof |
  Capability.MultiResults |
  Capability.PsMultiResults |
  Capability.SessionTrack |
  Capability.QueryAttributes |
  Capability.OptionalResultsetMetadata;

const WIRE_FORMAT_NAMES: readonly (readonly [number, string])[] = [
  [Capability.DeprecateEof, 'CLIENT_DEPRECATE_EOF'],
  [Capability.MultiResults, 'CLIENT_MULTI_RESULTS'],
  [Capability.PsMultiResults, 'CLIENT_PS_MULTI_RESULTS'],
  [Capability.SessionTrack, 'CLIENT_SESSION_TRACK'],
  [Capability.QueryAttributes, 'CLIENT_QUERY_ATTRIBUTES'],
  [Capability.OptionalResultsetMetadata, 'CLIENT_OPTIONAL_RESULTSET_METADATA'],
];

export function parseDatabaseAddress(uri: string): MysqlAddress | undefined {
  return uri.startsWith('unix:') ? { kind: 'unix', path: uri.slice('unix:'.length) } : parseMysqlAddress(uri);
}

export interface UpstreamOptionsInput {
  readonly database: DatabaseConfig;
  readonly auth: Authorization;
  readonly header: StreamOpenHeader;
  readonly extensions: SessionExtensions;
  readonly signer: DbClientCertSigner;
  readonly log: Logger;
  /** Reads a CA or password file. The default reads it at every login, so a file rotated on disk
   * takes effect without a reload; a login costs one small read of each. */
  readonly readText?: (path: string) => Promise<string>;
  readonly timeoutMs?: number;
}

const defaultReadText = (path: string): Promise<string> => readFile(path, 'utf8');

/** What the password and TLS of a login need: the backend monitor logs in with these too. */
export interface LoginSecretsInput {
  readonly database: DatabaseConfig;
  readonly auth: { readonly dbUser: string; readonly identity: { readonly notAfter: Date } };
  readonly signer: DbClientCertSigner;
  readonly readText?: (path: string) => Promise<string>;
}

/** Read at every login, so a changed password_file or env var applies to the next session. */
export async function readPassword(input: LoginSecretsInput): Promise<string> {
  const { database, auth } = input;
  if (database.auth.mode !== 'password') return '';
  const credential = database.auth.credentials[auth.dbUser];
  const missing = (why: string) =>
    new EngineError('GH_ERR_ENGINE_CREDENTIALS', `database '${database.name}' ${why}`, ServerError.AccessDenied);
  if (credential === undefined) throw missing(`has no credential configured for db user '${auth.dbUser}'`);
  if (credential.password_env !== undefined) {
    const value = process.env[credential.password_env];
    if (value === undefined)
      throw missing(`expects the password of '${auth.dbUser}' in env ${credential.password_env}, which is not set`);
    return value;
  }
  try {
    return (await (input.readText ?? defaultReadText)(credential.password_file!)).replace(/\r?\n$/, '');
  } catch (err) {
    throw missing(
      `cannot read the password file of '${auth.dbUser}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** The pinned RSA key for password logins without TLS (auth.server_public_key_file). */
export async function readServerPublicKey(input: LoginSecretsInput): Promise<string | undefined> {
  const { database } = input;
  if (database.auth.mode !== 'password' || database.auth.server_public_key_file === undefined) return undefined;
  const file = database.auth.server_public_key_file;
  try {
    return await (input.readText ?? defaultReadText)(file);
  } catch (err) {
    throw new EngineError(
      'GH_ERR_ENGINE_CREDENTIALS',
      `database '${database.name}' cannot read auth.server_public_key_file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      ServerError.AccessDenied,
    );
  }
}

export async function buildTls(input: LoginSecretsInput): Promise<UpstreamTlsOptions> {
  const { database, auth } = input;
  const tls = database.tls;
  let ca: string | undefined;
  if (tls.ca_file !== undefined) {
    try {
      ca = await (input.readText ?? defaultReadText)(tls.ca_file);
    } catch (err) {
      throw new EngineError(
        'GH_ERR_ENGINE_UPSTREAM',
        `cannot read tls.ca_file ${tls.ca_file} of database '${database.name}'`,
        ServerError.UnknownError,
        { cause: err },
      );
    }
  }
  let cert: string | undefined;
  let key: string | undefined;
  if (database.auth.mode === 'x509') {
    if (tls.mode === 'disable') {
      throw new EngineError(
        'GH_ERR_ENGINE_UPSTREAM',
        `database '${database.name}' uses x509 logins, which need TLS; set tls.mode to require or stronger`,
        ServerError.UnknownError,
      );
    }
    const issued = await input.signer.signDbClient({ dbUser: auth.dbUser, notAfter: auth.identity.notAfter });
    cert = issued.certificate;
    key = issued.privateKey;
  }
  return {
    mode: tls.mode,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(tls.server_name !== undefined ? { servername: tls.server_name } : {}),
    minVersion: tls.min_version,
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
    // One session per database and db user, never shared between db users: a resumed session
    // carries the client certificate it was made with, and the server takes it as the login's.
    ...(tls.resumption ? { resumeKey: `${database.name}\0${auth.dbUser}` } : {}),
  };
}

export async function buildUpstreamOptions(
  input: UpstreamOptionsInput,
  sessionId: string,
): Promise<ConnectUpstreamOptions> {
  const { database, auth, header, extensions } = input;
  const address = parseDatabaseAddress(database.uri);
  if (address === undefined) {
    throw new EngineError(
      'GH_ERR_ENGINE_UPSTREAM',
      `database '${database.name}' has an invalid uri`,
      ServerError.UnknownError,
    );
  }
  let capabilities = header.capabilities >>> 0;
  // LOCAL INFILE is relayed only when a granting role allows it; otherwise the server is never
  // told the client could send a file, so it refuses LOAD DATA LOCAL itself.
  if (!auth.decision.allowLocalInfile) capabilities = (capabilities & ~Capability.LocalFiles) >>> 0;
  // Always asked for, whatever the client negotiated: the engine reads the session's state from
  // the server's tracking (session-tracking.ts) and re-encodes OK packets for a client without it.
  capabilities = (capabilities | Capability.SessionTrack) >>> 0;
  const attributes = new Map<string, string>(Object.entries(header.connectionAttributes));
  attributes.set('_gatehouse_user', auth.identity.user);
  attributes.set('_gatehouse_session', sessionId);
  const [password, tls, serverPublicKey] = await Promise.all([
    readPassword(input),
    buildTls(input),
    readServerPublicKey(input),
  ]);
  return {
    address,
    user: auth.dbUser,
    password,
    ...(serverPublicKey !== undefined ? { serverPublicKey } : {}),
    ...(auth.dbName.length > 0 ? { database: auth.dbName } : {}),
    tls,
    capabilities,
    mariaDbCapabilities: header.mariadbCapabilities >>> 0,
    attributes,
    characterSet: extensions.charset,
    maxPacketSize: extensions.maxPacketSize,
    ...(database.compression ? { compress: true } : {}),
    timeoutMs: input.timeoutMs ?? 10_000,
    log: input.log,
  };
}

/** Fails when the database lacks a wire-format capability the client negotiated. */
export function checkCapabilities(header: StreamOpenHeader, upstream: UpstreamConnection, dbService: string): void {
  const missing = (header.capabilities & WIRE_FORMAT_CAPABILITIES & ~upstream.capabilities) >>> 0;
  const missingMaria = (header.mariadbCapabilities & ~upstream.mariaDbCapabilities) >>> 0;
  if (missing === 0 && missingMaria === 0) return;
  const names = WIRE_FORMAT_NAMES.filter(([bit]) => (missing & bit) !== 0).map(([, name]) => name);
  if (missingMaria !== 0) names.push(`MariaDB extended capabilities 0x${missingMaria.toString(16)}`);
  throw new EngineError(
    'GH_ERR_ENGINE_CAPABILITY_MISMATCH',
    `database '${dbService}' (${upstream.serverVersion}) does not support ${names.join(', ')}, which the client negotiated; the proxy should not have announced it`,
    ServerError.UnknownError,
  );
}
