// Engines in other processes get their host certificate here. /v1/join trades a single-use
// provisioning token (gatectl tokens add --type engine) for a certificate on the engine's own
// public key; the engine checks our TLS chain against the CA pin before it sends the token.
// /v1/renew is the same over mTLS with the engine's current certificate, before it expires.
import { createPublicKey, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { type Authorities, issueHostCert, type Store } from '@gatehouse/auth';
import { GatehouseError, isGatehouseError } from '@gatehouse/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { verifyEnginePeer } from '../tunnel/index.js';

export const JOIN_PATH = '/v1/join';
export const RENEW_PATH = '/v1/renew';

const engineName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . -; at most 63 characters');
const sans = z.array(z.string().min(1).max(253)).max(32);

export const JoinRequestSchema = z.strictObject({
  token: z.string().min(1).max(256),
  name: engineName,
  /** PEM SubjectPublicKeyInfo of the engine's new key (ECDSA P-256 or RSA 2048+). */
  publicKey: z.string().min(1).max(16_384),
  sans: sans.optional(),
});
export type JoinRequest = z.infer<typeof JoinRequestSchema>;

export const RenewRequestSchema = z.strictObject({
  publicKey: z.string().min(1).max(16_384),
  sans: sans.optional(),
});
export type RenewRequest = z.infer<typeof RenewRequestSchema>;

/** What both routes answer: the certificate and the host CAs to trust (and pin) from now on. */
export interface HostCertReply {
  readonly certificate: string;
  readonly caChain: readonly string[];
  readonly notAfter: string;
}

export interface JoinRoutesOptions {
  readonly authorities: Authorities;
  readonly store: Pick<Store, 'consumeToken'>;
  readonly log: Logger;
  /** Lifetime of engine certificates (default: the PKI's host TTL). */
  readonly certTtlMs?: number;
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new GatehouseError(
      'GH_ERR_JOIN_REQUEST',
      `invalid request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'bad value'}`,
    );
  }
  return result.data;
}

export function registerJoinRoutes(app: FastifyInstance, options: JoinRoutesOptions): void {
  const { authorities, log } = options;

  async function issue(name: string, publicKey: string, names: readonly string[]): Promise<HostCertReply> {
    const issued = await issueHostCert(await authorities.signer('host'), {
      name,
      sans: names,
      publicKeyPem: publicKey,
      ...(options.certTtlMs !== undefined ? { ttlMs: options.certTtlMs } : {}),
    });
    return {
      certificate: issued.certificate,
      caChain: authorities.trustedCas('host').map((ca) => ca.certificate),
      notAfter: issued.notAfter.toISOString(),
    };
  }

  function fail(reply: FastifyReply, err: unknown, what: string): FastifyReply {
    if (isGatehouseError(err, 'GH_ERR_TOKEN_INVALID') || isGatehouseError(err, 'GH_ERR_TOKEN_EXPIRED')) {
      log.warn({ err }, `${what} refused: bad token`);
      return sendError(reply, 401, err.code, err.message);
    }
    if (isGatehouseError(err, 'GH_ERR_TUNNEL_AUTH')) return sendError(reply, 403, err.code, err.message);
    if (isGatehouseError(err, 'GH_ERR_JOIN_REQUEST') || isGatehouseError(err, 'GH_ERR_CERT_ISSUE')) {
      return sendError(reply, 400, err.code, err.message);
    }
    log.error({ err }, `${what} failed`);
    return sendError(reply, 500, 'GH_ERR_INTERNAL', `${what} failed inside the proxy; its log has the details`);
  }

  app.post(JOIN_PATH, async (request, reply) => {
    try {
      const body = parseBody(JoinRequestSchema, request.body);
      // Check the key before spending the token, so a typo does not burn it.
      if (!isUsableKey(body.publicKey)) {
        throw new GatehouseError(
          'GH_ERR_JOIN_REQUEST',
          'invalid request: publicKey must be a PEM SubjectPublicKeyInfo of an ECDSA P-256 or RSA key',
        );
      }
      const token = await options.store.consumeToken(body.token);
      if (token.type !== 'engine')
        throw new GatehouseError('GH_ERR_TOKEN_INVALID', `a ${token.type} token cannot join an engine`);
      const answer = await issue(body.name, body.publicKey, body.sans ?? []);
      log.info({ engineId: body.name, notAfter: answer.notAfter, remoteAddress: request.ip }, 'engine joined');
      return answer;
    } catch (err) {
      return fail(reply, err, 'join');
    }
  });

  app.post(RENEW_PATH, async (request, reply) => {
    try {
      const hostCas = authorities.trustedCas('host').map((ca) => new X509Certificate(ca.certificate));
      const engineId = verifyEnginePeer(request.raw.socket as TLSSocket, hostCas);
      const body = parseBody(RenewRequestSchema, request.body);
      const answer = await issue(engineId, body.publicKey, body.sans ?? []);
      log.info({ engineId, notAfter: answer.notAfter }, 'engine certificate renewed');
      return answer;
    } catch (err) {
      return fail(reply, err, 'renew');
    }
  });
}

function isUsableKey(pem: string): boolean {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
