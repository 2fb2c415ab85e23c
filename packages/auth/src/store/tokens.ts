// Provisioning tokens: the secret is shown once and only its SHA-256 is stored, under a file
// named by that hash, so redeeming one is a single atomic take with no scan and no comparison.
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { GatehouseError, type Token, TokenSchema, type TokenType } from '@gatehouse/common';
import type { StoreBackend } from './backend.js';
import { decodeRecord, encodeValue } from './records.js';

export interface CreatedToken {
  /** The secret to hand to the engine; it is not stored and cannot be shown again. */
  readonly secret: string;
  /** A short public handle (a prefix of the hash) for listings. */
  readonly id: string;
  readonly token: Token;
}

export interface TokenInfo extends Token {
  readonly id: string;
  readonly expired: boolean;
}

const SECRET = /^[0-9a-f]{64}$/;

/**
 * The CA pin an engine checks when it joins: "sha256:" and the hex SHA-256 of the CA
 * certificate's DER SubjectPublicKeyInfo (so a re-issued certificate with the same key matches).
 */
export function computeCaPin(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export function hashTokenSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
}

function fileNameOf(hash: string): string {
  return hash.slice('sha256:'.length);
}

function idOf(hash: string): string {
  return fileNameOf(hash).slice(0, 12);
}

export async function createToken(
  backend: StoreBackend,
  options: { readonly type: TokenType; readonly ttlMs: number; readonly user?: string },
  now: Date,
): Promise<CreatedToken> {
  if (!(options.ttlMs > 0)) throw new GatehouseError('GH_ERR_USAGE', 'a token TTL must be positive');
  const secret = randomBytes(32).toString('hex');
  const hash = hashTokenSecret(secret);
  const token = encodeValue(
    TokenSchema,
    {
      type: options.type,
      secret_hash: hash,
      expires: new Date(now.getTime() + options.ttlMs).toISOString(),
      created: now.toISOString(),
      ...(options.user !== undefined ? { user: options.user } : {}),
    },
    'token',
  );
  if (!(await backend.create('tokens', fileNameOf(hash), token))) {
    throw new GatehouseError('GH_ERR_INTERNAL', 'token hash collision');
  }
  return { secret, id: idOf(hash), token };
}

export async function listTokens(backend: StoreBackend, now: Date): Promise<TokenInfo[]> {
  const records = await backend.list('tokens');
  return records.map((r) => {
    const token = decodeRecord(TokenSchema, r).value;
    return { ...token, id: idOf(token.secret_hash), expired: Date.parse(token.expires) <= now.getTime() };
  });
}

/** Redeems a token once: a second use, an unknown secret or an expired token all fail. */
export async function consumeToken(backend: StoreBackend, secret: string, now: Date): Promise<Token> {
  const invalid = () => new GatehouseError('GH_ERR_TOKEN_INVALID', 'the join token is unknown or was already used');
  if (!SECRET.test(secret)) throw invalid();
  const record = await backend.take('tokens', fileNameOf(hashTokenSecret(secret)));
  if (record === undefined) throw invalid();
  const token = decodeRecord(TokenSchema, record).value;
  if (Date.parse(token.expires) <= now.getTime()) {
    throw new GatehouseError('GH_ERR_TOKEN_EXPIRED', `the join token expired at ${token.expires}`);
  }
  return token;
}
