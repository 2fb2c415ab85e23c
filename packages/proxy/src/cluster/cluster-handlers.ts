// The control requests engines in other processes send the proxy over the tunnel. The proxy
// answers them from the auth part, so an engine never holds a CA key or the store. Bodies are
// the shared schemas in @gatehouse/common (cluster/), validated here on the way in and by the
// engine on the way back. See docs/architecture.md, "Cluster requests".
import { createHash } from 'node:crypto';
import { type AuditStore, type Authorities, issueDbClientCert, type Store } from '@gatehouse/auth';
import { GatehouseError } from '@gatehouse/common';
import {
  AuditAppendRequestSchema,
  type AuditAppendResponse,
  ClusterMethod,
  ClusterStateRequestSchema,
  type ClusterStateResponse,
  SignDbClientRequestSchema,
  type SignDbClientResponse,
} from '@gatehouse/common/cluster';
import type { Logger } from 'pino';
import type { EngineRequestHandler } from '../tunnel/index.js';
import { parseRequestBody } from './parse-request-body.js';

export interface ClusterHandlerOptions {
  readonly authorities: Authorities;
  readonly store: Pick<Store, 'version' | 'listRoles' | 'listUsers' | 'listActiveLocks'> &
    Partial<Pick<Store, 'listProxies' | 'listEngineDrains'>>;
  /** Tell engines which proxies to keep tunnels to (a shared store with several proxies). */
  readonly advertiseProxies?: boolean;
  /** Absent when this process runs no audit store; audit.append then fails and engines keep spooling. */
  readonly audit?: Pick<AuditStore, 'append'>;
  readonly log: Logger;
}

/** The handlers by method, for TunnelServer.handle. */
export function createClusterHandlers(options: ClusterHandlerOptions): Map<string, EngineRequestHandler> {
  const { authorities, store, log } = options;
  const handlers = new Map<string, EngineRequestHandler>();

  // The version covers the store and the trusted user CAs (a rotation changes trust without
  // touching the store), so an engine polling with `since` gets "unchanged" cheaply.
  async function stateVersion(): Promise<string> {
    const cas = authorities
      .trustedCas('user')
      .map((ca) => `${ca.fingerprint}:${ca.trustedUntil?.toISOString() ?? ''}`)
      .join(',');
    return createHash('sha256')
      .update(`${await store.version()}|${cas}`)
      .digest('hex')
      .slice(0, 32);
  }

  handlers.set(ClusterMethod.State, async (_engine, request) => {
    const { since } = parseRequestBody(ClusterStateRequestSchema, request.body, ClusterMethod.State);
    await authorities.reload();
    const version = await stateVersion();
    if (since === version) return { body: { changed: false, version } satisfies ClusterStateResponse };
    const [roles, users, locks, proxies, drains] = await Promise.all([
      store.listRoles(),
      store.listUsers(),
      store.listActiveLocks(),
      options.advertiseProxies && store.listProxies ? store.listProxies() : undefined,
      store.listEngineDrains?.(),
    ]);
    const userCas = authorities.trustedCas('user').map((ca) => ({
      certificate: ca.certificate,
      ...(ca.trustedUntil !== undefined ? { trustedUntil: ca.trustedUntil.toISOString() } : {}),
    }));
    const state = {
      version,
      userCas,
      roles,
      users,
      locks,
      ...(proxies ? { proxies } : {}),
      ...(drains ? { drains } : {}),
    };
    const body: ClusterStateResponse = { changed: true, state };
    return { body };
  });

  handlers.set(ClusterMethod.SignDbClient, async (engine, request) => {
    const req = parseRequestBody(SignDbClientRequestSchema, request.body, ClusterMethod.SignDbClient);
    const issued = await issueDbClientCert(await authorities.signer('db-client'), {
      dbUser: req.dbUser,
      notAfter: new Date(req.notAfter),
      ...(req.ttlMs !== undefined ? { ttlMs: req.ttlMs } : {}),
    });
    log.debug(
      { engineId: engine.engineId, dbUser: req.dbUser, notAfter: issued.notAfter },
      'db-client certificate signed',
    );
    const body: SignDbClientResponse = {
      certificate: issued.certificate,
      privateKey: issued.privateKey,
      notAfter: issued.notAfter.toISOString(),
    };
    return { body };
  });

  handlers.set(ClusterMethod.AuditAppend, async (engine, request) => {
    const { events } = parseRequestBody(AuditAppendRequestSchema, request.body, ClusterMethod.AuditAppend);
    if (options.audit === undefined) throw new GatehouseError('GH_ERR_AUDIT_WRITE', 'this proxy has no audit store');
    // The store skips uids it already holds, so redelivery after a lost ack is safe.
    // The request schema validated every event: the store need not again.
    const result: AuditAppendResponse = await options.audit.append(events, { validated: true });
    if (result.appended > 0 && log.isLevelEnabled('debug'))
      log.debug({ engineId: engine.engineId, ...result }, 'audit events stored');
    return { body: result };
  });
  return handlers;
}
