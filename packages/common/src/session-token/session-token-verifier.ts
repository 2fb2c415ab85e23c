// The engine's side of the session token: which proxy keys it trusts, and the checks before it
// acts on a stream. A key is trusted while the proxy holds it and, once replaced (a certificate
// renewal or a host CA rotation), for the rotation's grace period after, as TiDB keeps its
// previous signing certificate: a stream opened a moment before the switch still verifies.
// Replays are refused by the token's id, remembered until the token would have expired anyway.
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { decodeSessionToken, type SessionTokenClaims, sessionTokenKeyId } from './session-token.js';
import { SessionTokenError } from './session-token-error.js';

interface TrustedKey {
  readonly key: KeyObject;
  /** ms since the epoch after which the key is no longer trusted; Infinity while current. */
  until: number;
}

export interface SessionTokenVerifierOptions {
  /** Default Date.now. */
  readonly now?: () => number;
  /** Clock difference tolerated between proxy and engine (default 5 s). */
  readonly skewMs?: number;
  /** Token ids remembered at most (default 100,000); the oldest are dropped first. */
  readonly maxRemembered?: number;
}

export interface ExpectedSession {
  readonly sessionId: string;
  readonly route?: SessionTokenClaims['route'];
}

export class SessionTokenVerifier {
  readonly #keys = new Map<string, TrustedKey>();
  /** Seen token ids → their expiry (ms); insertion order is expiry order closely enough. */
  readonly #seen = new Map<string, number>();
  readonly #now: () => number;
  readonly #skewMs: number;
  readonly #maxRemembered: number;

  constructor(options: SessionTokenVerifierOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#skewMs = options.skewMs ?? 5000;
    this.#maxRemembered = options.maxRemembered ?? 100_000;
  }

  /** Trusts a public key (PEM certificate, PEM key or KeyObject); returns its key id. */
  trust(key: KeyObject | string): string {
    const pub = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
    const kid = sessionTokenKeyId(pub);
    this.#keys.set(kid, { key: pub, until: Number.POSITIVE_INFINITY });
    return kid;
  }

  /** A key was replaced: it stays trusted for `graceMs` more, then is forgotten. */
  retire(kid: string, graceMs: number): void {
    const entry = this.#keys.get(kid);
    if (entry !== undefined) entry.until = Math.min(entry.until, this.#now() + graceMs);
  }

  /**
   * Checks a token for a stream; returns its claims, or throws a SessionTokenError. `key`: the
   * signer's public key as the caller established it (from a certificate it verified), instead
   * of the trusted keys; the token must name it.
   */
  verify(token: string, expected: ExpectedSession, key?: KeyObject): SessionTokenClaims {
    const { claims, body, signature } = decodeSessionToken(token);
    const now = this.#now();
    const entry =
      key === undefined
        ? this.#keys.get(claims.kid)
        : sessionTokenKeyId(key) === claims.kid
          ? { key, until: Number.POSITIVE_INFINITY }
          : undefined;
    if (entry === undefined || entry.until < now) {
      throw new SessionTokenError('unknown_key', `session token signed by an unknown key ${claims.kid.slice(0, 16)}…`);
    }
    let valid = false;
    try {
      valid = verify('sha256', body, entry.key, signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new SessionTokenError('bad_signature', 'session token signature does not verify');
    if (claims.exp * 1000 + this.#skewMs < now) {
      throw new SessionTokenError('expired', `session token expired at ${new Date(claims.exp * 1000).toISOString()}`);
    }
    if (claims.iat * 1000 - this.#skewMs > now)
      throw new SessionTokenError('expired', 'session token signed in the future');
    if (claims.sid !== expected.sessionId)
      throw new SessionTokenError('mismatch', 'session token names another session');
    const route = expected.route;
    if (
      route !== undefined &&
      (claims.route.dbService !== route.dbService ||
        claims.route.dbUser !== route.dbUser ||
        claims.route.dbName !== route.dbName)
    ) {
      throw new SessionTokenError('mismatch', 'session token names another route');
    }
    this.#remember(claims.jti, claims.exp * 1000 + this.#skewMs, now);
    return claims;
  }

  #remember(jti: string, until: number, now: number): void {
    if (this.#seen.has(jti)) throw new SessionTokenError('replayed', 'session token was already used');
    for (const [id, expiry] of this.#seen) {
      if (expiry >= now && this.#seen.size < this.#maxRemembered) break;
      this.#seen.delete(id);
    }
    this.#seen.set(jti, until);
    for (const [kid, key] of this.#keys) if (key.until < now) this.#keys.delete(kid);
  }
}
