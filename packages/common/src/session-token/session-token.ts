// The signed session token a proxy sends with each stream it opens or moves (issue 17,
// docs/migration.md): the engine acts on a stream only when a proxy's host key vouches for it,
// so a stolen tunnel or a replayed header cannot start or take over a session. Modelled on
// TiDB's session migration token (a signed, short-lived proof instead of the user's password).
//
// Format: base64url(claims JSON) "." base64url(signature). The signature is ECDSA (or whatever
// the host key is: node's sign() picks by key type) over the claims' bytes with SHA-256.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import { z } from 'zod';
import { SessionTokenError } from './session-token-error.js';

export const SessionTokenClaimsSchema = z
  .object({
    /** A unique id: the engine refuses a token it has seen (replay). */
    jti: z.string().min(1).max(64),
    sid: z.string().min(1).max(128),
    user: z.string().max(256),
    route: z
      .object({ dbService: z.string().max(256), dbUser: z.string().max(256), dbName: z.string().max(256) })
      .strict(),
    /** Sign time and expiry, seconds since the epoch. */
    iat: z.number().int().nonnegative(),
    exp: z.number().int().nonnegative(),
    /** Which signing key: the SHA-256 of the signer's public key (SPKI DER), hex. */
    kid: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export type SessionTokenClaims = z.infer<typeof SessionTokenClaimsSchema>;

/** What a proxy signs with: its host key, and the id the engine knows it by. */
export interface SessionTokenSigner {
  readonly key: KeyObject;
  readonly kid: string;
}

/** Default lifetime: long enough for a slow engine to accept, short enough to be useless stolen. */
export const SESSION_TOKEN_TTL_S = 30;
const MAX_TOKEN_LENGTH = 4096;

/** The key id of a public key (or of the public half of a private key). */
export function sessionTokenKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A signer from a PEM private key (the proxy's host key). */
export function createSessionTokenSigner(privateKeyPem: string): SessionTokenSigner {
  const key = createPrivateKey(privateKeyPem);
  return { key, kid: sessionTokenKeyId(key) };
}

export interface SessionTokenInput {
  readonly sessionId: string;
  readonly user: string;
  readonly route: SessionTokenClaims['route'];
  /** Default SESSION_TOKEN_TTL_S. */
  readonly ttlS?: number;
  /** Default Date.now(). */
  readonly now?: number;
}

export function signSessionToken(input: SessionTokenInput, signer: SessionTokenSigner): string {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const claims: SessionTokenClaims = {
    jti: randomUUID(),
    sid: input.sessionId,
    user: input.user,
    route: { dbService: input.route.dbService, dbUser: input.route.dbUser, dbName: input.route.dbName },
    iat,
    exp: iat + (input.ttlS ?? SESSION_TOKEN_TTL_S),
    kid: signer.kid,
  };
  const body = Buffer.from(JSON.stringify(claims));
  const signature = sign('sha256', body, signer.key);
  return `${body.toString('base64url')}.${signature.toString('base64url')}`;
}

/** Splits and decodes a token without checking it; malformed input is a SessionTokenError. */
export function decodeSessionToken(token: string): { claims: SessionTokenClaims; body: Buffer; signature: Buffer } {
  const malformed = (why: string) => new SessionTokenError('malformed', `malformed session token: ${why}`);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw malformed('absent or too long');
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) throw malformed('expected two parts');
  const body = Buffer.from(token.slice(0, dot), 'base64url');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw malformed('the claims are not JSON');
  }
  const parsed = SessionTokenClaimsSchema.safeParse(json);
  if (!parsed.success) throw malformed(parsed.error.issues[0]?.message ?? 'bad claims');
  return { claims: parsed.data, body, signature };
}
