// The control requests engines send the proxy over the tunnel. Until the engine branch's shared
// schemas land in @gatehouse/common (cluster/), the bodies are defined and validated here:
//   cluster.state        { since?: version }            → { version, changed, userCas?, roles?, locks? }
//   cert.sign_db_client  { dbUser, notAfter, publicKey } → { certificate, caChain, notAfter }
//   audit.append         { events: AuditEvent[] }       → { appended, duplicates }  (after fsync)
import { createHash } from 'node:crypto';
import { type AuditStore, type Authorities, issueDbClientCert, type Store } from '@gatehouse/auth';
import { type AuditEvent, GatehouseError } from '@gatehouse/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EngineRequestHandler } from '../tunnel/index.js';

export const ClusterMethod = {
  State: 'cluster.state', // trusted user CAs, roles and locks, versioned for cheap polling
  SignDbClient: 'cert.sign_db_client', // an ephemeral db-client certificate for an x509 login
  AuditAppend: 'audit.append', // a batch of audit events, acked once durable
} as const;

const StateRequestSchema = z.strictObject({ since: z.string().max(128).optional() });
const SignRequestSchema = z.strictObject({
  dbUser: z.string().min(1).max(80),
  /** The user certificate's expiry: the db-client cert never outlives it. */
  notAfter: z.iso.datetime({ offset: true }),
  publicKey: z.string().min(1).max(16_384),
});
const AuditRequestSchema = z.strictObject({ events: z.array(z.unknown()).max(10_000) });

export interface ClusterHandlerOptions {
  readonly authorities: Authorities;
  readonly store: Pick<Store, 'version' | 'listRoles' | 'listActiveLocks'>;
  /** Absent when this process runs no audit store; audit.append then fails and engines keep spooling. */
  readonly audit?: Pick<AuditStore, 'append'>;
  readonly log: Logger;
}

function parse<T>(schema: z.ZodType<T>, body: unknown, method: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new GatehouseError('GH_ERR_TUNNEL_PROTOCOL', `invalid ${method} request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'bad value'}`);
  }
  return result.data;
}

/** The handlers by method, for TunnelServer.handle. */
export function createClusterHandlers(options: ClusterHandlerOptions): Map<string, EngineRequestHandler> {
  const { authorities, store, log } = options;
  const handlers = new Map<string, EngineRequestHandler>();

  async function stateVersion(): Promise<string> {
    const cas = authorities
      .trustedCas('user')
      .map((ca) => `${ca.fingerprint}:${ca.trustedUntil?.toISOString() ?? ''}`)
      .join(',');
    return createHash('sha256').update(`${await store.version()}|${cas}`).digest('hex').slice(0, 32);
  }

  handlers.set(ClusterMethod.State, async (_engine, request) => {
    const { since } = parse(StateRequestSchema, request.body, ClusterMethod.State);
    await authorities.reload();
    const version = await stateVersion();
    if (since === version) return { body: { version, changed: false } };
    const [roles, locks] = await Promise.all([store.listRoles(), store.listActiveLocks()]);
    const userCas = authorities.trustedCas('user').map((ca) => ({
      certificate: ca.certificate,
      ...(ca.trustedUntil !== undefined ? { trustedUntil: ca.trustedUntil.toISOString() } : {}),
    }));
    return { body: { version, changed: true, userCas, roles, locks } };
  });

  handlers.set(ClusterMethod.SignDbClient, async (engine, request) => {
    const body = parse(SignRequestSchema, request.body, ClusterMethod.SignDbClient);
    const issued = await issueDbClientCert(await authorities.signer('db-client'), {
      dbUser: body.dbUser,
      notAfter: new Date(body.notAfter),
      publicKeyPem: body.publicKey,
    });
    log.debug({ engineId: engine.engineId, dbUser: body.dbUser, notAfter: issued.notAfter }, 'db-client certificate signed');
    return {
      body: {
        certificate: issued.certificate,
        caChain: authorities.trustedCas('db-client').map((ca) => ca.certificate),
        notAfter: issued.notAfter.toISOString(),
      },
    };
  });

  handlers.set(ClusterMethod.AuditAppend, async (engine, request) => {
    const { events } = parse(AuditRequestSchema, request.body, ClusterMethod.AuditAppend);
    if (options.audit === undefined) throw new GatehouseError('GH_ERR_AUDIT_WRITE', 'this proxy has no audit store');
    // The store validates each event and skips uids it already holds, so redelivery is safe.
    const result = await options.audit.append(events as AuditEvent[]);
    if (result.appended > 0 && log.isLevelEnabled('debug')) log.debug({ engineId: engine.engineId, ...result }, 'audit events stored');
    return { body: result };
  });
  return handlers;
}
