// The session's side of connection hooks (docs/hooks.md): builds each hook's context, and turns
// the outcome into a denial (an ERR at login), a backend choice, and fields for the audit event.
import type { AuditSession } from '@gatehouse/common';
import type { BackendInfo, StreamOpenHeader } from '@gatehouse/tunnel';
import { EngineError } from '../errors.js';
import type { HookRunner } from '../hooks/hook-runner.js';
import type { ConnectContext, HandshakeResponseContext, HookOutcome } from '../hooks/hook-types.js';
import type { Authorization } from './authorize.js';
import { readSessionExtensions } from './session-header.js';

function connectContext(header: StreamOpenHeader, dbService: string): ConnectContext {
  const { unixPeer } = readSessionExtensions(header);
  return {
    sessionId: header.sessionId,
    dbService,
    clientAddress: { host: header.clientAddress.host, port: header.clientAddress.port },
    connectionAttributes: { ...header.connectionAttributes },
    requested: { dbUser: header.route.dbUser, dbName: header.route.dbName },
    ...(unixPeer !== undefined ? { unixPeer } : {}),
  };
}

function apply(outcome: HookOutcome, session: AuditSession): void {
  if (Object.keys(outcome.audit).length > 0) session.hookFields = { ...session.hookFields, ...outcome.audit };
  const deny = outcome.deny;
  if (deny === undefined) return;
  throw new EngineError('GH_ERR_ENGINE_HOOK_DENIED', deny.message, {
    errno: deny.errno ?? 1045,
    sqlState: deny.sqlState ?? '28000',
  });
}

/** onConnect, before the certificate is verified. */
export async function runConnectHooks(
  hooks: HookRunner,
  header: StreamOpenHeader,
  dbService: string,
  session: AuditSession,
): Promise<void> {
  apply(await hooks.run('onConnect', connectContext(header, dbService)), session);
}

/** onHandshakeResponse, after authorization; returns the backend a hook chose, if one did. */
export async function runHandshakeHooks(
  hooks: HookRunner,
  header: StreamOpenHeader,
  dbService: string,
  auth: Authorization,
  backends: readonly BackendInfo[],
  session: AuditSession,
): Promise<string | undefined> {
  const ctx: HandshakeResponseContext = {
    ...connectContext(header, dbService),
    user: auth.identity.user,
    roles: [...auth.roles],
    dbUser: auth.dbUser,
    dbName: auth.dbName,
    ...(auth.identity.route.dbRole !== undefined ? { dbRole: auth.identity.route.dbRole } : {}),
    backends: backends.map((b) => ({ ...b })),
  };
  const outcome = await hooks.run('onHandshakeResponse', ctx);
  apply(outcome, session);
  return outcome.backend;
}
