// The server side of TLS 1.2 session-id resumption on the MySQL port. Node keeps no server
// session cache of its own: it hands each new session to a 'newSession' listener and asks a
// 'resumeSession' listener for one by id. Tickets (TLS 1.2 and 1.3) need none of this; the
// client carries the session, sealed with the ticket key.
// https://nodejs.org/api/tls.html#session-resumption
import { Server } from 'node:net';

export interface TlsSessionCacheOptions {
  /** Sessions kept; the least recently stored goes first. */
  readonly maxEntries: number;
  /** How long a session may be resumed, as the TLS context's session timeout. */
  readonly lifetimeMs: number;
  readonly now?: () => number;
}

interface Entry {
  readonly data: Buffer;
  readonly expires: number;
}

/** TLS 1.3 in OpenSSL's SSL_SESSION encoding. */
const TLS13 = 0x0304;

export class TlsSessionCache {
  /**
   * What TLSSocket takes as its `server` option: only its session events are used. A net.Server
   * that never listens, because that is the type Node declares for the option.
   */
  readonly events = new Server();
  readonly #entries = new Map<string, Entry>();
  readonly #options: TlsSessionCacheOptions;
  readonly #now: () => number;

  constructor(options: TlsSessionCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.events.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.store(id, data);
      done();
    });
    this.events.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.load(id) ?? null);
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  store(id: Buffer, data: Buffer): void {
    // OpenSSL reports TLS 1.3 tickets here too, but resumes them from the ticket, never by id:
    // keeping them would only push TLS 1.2 sessions out.
    if (sessionProtocol(data) === TLS13) return;
    const key = id.toString('hex');
    this.#entries.delete(key);
    this.#entries.set(key, { data, expires: this.#now() + this.#options.lifetimeMs });
    while (this.#entries.size > this.#options.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  load(id: Buffer): Buffer | undefined {
    if (id.length === 0) return undefined;
    const key = id.toString('hex');
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.data;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * The protocol version in an encoded SSL_SESSION: SEQUENCE { version INTEGER (1),
 * ssl_version INTEGER, … } (OpenSSL ssl/ssl_asn1.c). Undefined when it does not look like one.
 */
export function sessionProtocol(der: Buffer): number | undefined {
  if (der[0] !== 0x30) return undefined;
  let at = 2;
  const first = der[1] ?? 0;
  if (first & 0x80) at += first & 0x7f;
  // version INTEGER: tag, length, value
  if (der[at] !== 0x02) return undefined;
  at += 2 + (der[at + 1] ?? 0);
  if (der[at] !== 0x02) return undefined;
  const length = der[at + 1] ?? 0;
  if (length < 1 || length > 4 || at + 2 + length > der.length) return undefined;
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + der[at + 2 + i]!;
  return value;
}
