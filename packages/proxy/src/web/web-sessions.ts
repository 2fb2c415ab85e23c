// Sign-in sessions of the audit web app. `gatectl web login` stores a single-use token bound to a
// person; the page trades it here for a random session id in a cookie. Sessions live in this
// proxy's memory only (a restart signs everyone out) and expire like a certificate would: at
// the TTL the roles allow (max_session_ttl, default 8 h). Each request re-reads the person's
// roles and locks, so a removed role or a lock takes effect on the next click.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = '__Host-gatehouse-web';
export const DEFAULT_WEB_SESSION_TTL_MS = 8 * 3600_000;
/** Sessions kept at most; the oldest is dropped past this (a bound on memory, not a policy). */
const MAX_SESSIONS = 10_000;

export interface WebSession {
  readonly id: string;
  readonly user: string;
  readonly expires: Date;
  /** Sent back in the x-gatehouse-csrf header with every request that changes something. */
  readonly csrf: string;
}

export class WebSessions {
  readonly #sessions = new Map<string, WebSession>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  create(user: string, ttlMs: number): WebSession {
    this.#sweep();
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const session: WebSession = {
      id: randomBytes(32).toString('base64url'),
      user,
      expires: new Date(this.#now() + ttlMs),
      csrf: randomBytes(24).toString('base64url'),
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value; undefined when unknown or expired. */
  get(id: string | undefined): WebSession | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expires.getTime() <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expires.getTime() <= now) this.#sessions.delete(id);
  }
}

/** The value of cookie `name` in a Cookie header (no decoding: our values are base64url). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(session: WebSession): string {
  const maxAge = Math.max(0, Math.floor((session.expires.getTime() - Date.now()) / 1000));
  return `${SESSION_COOKIE}=${session.id}; Path=/; Max-Age=${maxAge}; Secure; HttpOnly; SameSite=Strict`;
}

export const CLEARED_COOKIE = `${SESSION_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict`;

export function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
