// Logs in to the backend the routing policy chooses (backends/routing.ts), with the PROXY
// header the database asks for. A backend that cannot be reached (down since the last monitor
// round) is skipped for the next candidate; a backend that answers and refuses is final.
import type { DatabaseConfig } from '@gatehouse/common';
import {
  type ConnectUpstreamOptions,
  connectUpstream,
  MysqlConnectError,
  MysqlTimeoutError,
  type UpstreamConnection,
} from '@gatehouse/mysql-protocol';
import type { BackendInfo, StreamOpenHeader } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { sessionProxyHeader } from '../backends/proxy-header.js';
import { routeSession } from '../backends/routing.js';
import { EngineError, EngineMysqlError } from '../errors.js';
import type { Authorization } from './authorize.js';
import { parseDatabaseAddress } from './upstream-options.js';

export interface BackendLogin {
  readonly upstream: UpstreamConnection;
  readonly backend: BackendInfo;
}

export interface ConnectBackendInput {
  readonly database: DatabaseConfig;
  readonly backends: readonly BackendInfo[];
  readonly auth: Authorization;
  readonly header: StreamOpenHeader;
  readonly options: ConnectUpstreamOptions;
  readonly log: Logger;
  /** A connection hook's choice (a backend uri): it replaces the routing policy. */
  readonly chosen?: string | undefined;
  /** Named in the error when every candidate failed: set to the last backend tried. */
  readonly onAttempt: (uri: string) => void;
}

function chosenBackend(backends: readonly BackendInfo[], uri: string, dbService: string): BackendInfo[] {
  const found = backends.find((b) => b.uri === uri);
  if (found !== undefined) return [found];
  throw new EngineError(
    'GH_ERR_ENGINE_NO_BACKEND',
    `a hook chose backend '${uri.slice(0, 200)}', which database '${dbService}' does not have`,
    EngineMysqlError.CannotConnect,
  );
}

export async function connectBackend(input: ConnectBackendInput): Promise<BackendLogin> {
  const { database, header, auth } = input;
  const candidates =
    input.chosen === undefined
      ? routeSession(input.backends, {
          dbService: database.name,
          policy: database.routing.policy,
          maxReplicaLagMs: database.routing.max_replica_lag,
          hashKey: database.routing.hash_on === 'user' ? auth.identity.user : header.clientAddress.host,
          certRole: auth.identity.route.dbRole,
        })
      : chosenBackend(input.backends, input.chosen, database.name);
  for (const [i, backend] of candidates.entries()) {
    const address = parseDatabaseAddress(backend.uri);
    if (address === undefined) continue;
    input.onAttempt(backend.uri);
    const proxyHeader = sessionProxyHeader(database, header.clientAddress, address);
    try {
      const upstream = await connectUpstream({ ...input.options, address, ...(proxyHeader ? { proxyHeader } : {}) });
      return { upstream, backend };
    } catch (err) {
      const unreachable = err instanceof MysqlConnectError || err instanceof MysqlTimeoutError;
      if (!unreachable || i === candidates.length - 1) throw err;
      input.log.warn({ err, backend: backend.uri }, 'backend unreachable; trying the next one');
    }
  }
  throw new MysqlConnectError(database.uri, 'no backend has a valid address');
}
