// The proxy's own TLS identity: a host certificate for `public_addr`, issued from the host CA,
// renewed in place before it expires, and the CA sets its TLS servers trust. A CA rotation made
// by gatectl in another process is picked up by reloading the authorities on each refresh.
// The MySQL port's context also carries the session resumption settings: its session id
// context, its session lifetime and the ticket key, rotated here (docs/identity.md).
import { constants as cryptoConstants, randomBytes } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { type Authorities, issueHostCert } from '@gatehouse/auth';
import type { Logger } from 'pino';
import { computeSessionIdContext } from './session-id-context.js';

export interface ProxyCredentialsOptions {
  readonly authorities: Authorities;
  /** The CN of the proxy's certificate. */
  readonly proxyId: string;
  /** DNS names and IPs for the subjectAltName (config proxy.public_addr). */
  readonly publicAddr: readonly string[];
  readonly log: Logger;
  /** Default: the PKI's host TTL (30 days). */
  readonly ttlMs?: number;
  /** How often to reload the CAs and check the certificate (default 30 s). */
  readonly refreshIntervalMs?: number;
  /** The MySQL port's TLS settings (config proxy.tls); default TLS 1.2+, resumption on. */
  readonly mysqlTls?: MysqlTlsSettings;
  /** How long a ticket key seals tickets before it is replaced (default TICKET_KEY_LIFETIME_MS). */
  readonly ticketKeyLifetimeMs?: number;
  /**
   * The ticket key comes from outside (the session workers of one proxy share their supervisor's,
   * so a ticket sealed by one worker resumes on another): no rotation timer here; the owner calls
   * rotateTicketKey(key).
   */
  readonly ticketKey?: Buffer;
}

export interface MysqlTlsSettings {
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers?: string;
  readonly resumption: boolean;
}

/**
 * A TLS 1.2 ticket holds the session's master secret sealed with the ticket key: whoever gets
 * the key can read every session it sealed, recorded traffic included. An hourly key bounds that
 * to one hour's sessions; Node holds one key at a time, so each rotation costs every client one
 * full handshake.
 */
export const TICKET_KEY_LIFETIME_MS = 60 * 60_000;
/** How long a session may be resumed: session-id cache entries and ticket lifetime (seconds). */
export const SESSION_LIFETIME_S = 60 * 60;

export interface TlsMaterial {
  /** The leaf followed by the active host CA, so peers that pin the CA can find it in the chain. */
  readonly cert: string;
  readonly key: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Renew once two thirds of the lifetime have passed. */
const RENEW_AT = 2 / 3;

export class ProxyCredentials {
  readonly #options: ProxyCredentialsOptions;
  #material!: TlsMaterial;
  #mysqlContext!: SecureContext;
  #caKey = '';
  #timer: NodeJS.Timeout | undefined;
  #ticketTimer: NodeJS.Timeout | undefined;
  /** Name (16 bytes), HMAC key (16) and AES key (16); in memory only, never shared or stored. */
  #ticketKey: Buffer = randomBytes(48);
  readonly #listeners: Array<() => void> = [];

  private constructor(options: ProxyCredentialsOptions) {
    this.#options = options;
  }

  static async create(options: ProxyCredentialsOptions): Promise<ProxyCredentials> {
    const credentials = new ProxyCredentials(options);
    if (options.ticketKey !== undefined) credentials.#ticketKey = options.ticketKey;
    await credentials.#issue();
    credentials.#rebuild();
    const interval = options.refreshIntervalMs ?? 30_000;
    credentials.#timer = setInterval(() => void credentials.refresh(), interval);
    credentials.#timer.unref();
    if (credentials.#tls.resumption && options.ticketKey === undefined) {
      credentials.#ticketTimer = setInterval(
        () => credentials.rotateTicketKey(),
        options.ticketKeyLifetimeMs ?? TICKET_KEY_LIFETIME_MS,
      );
      credentials.#ticketTimer.unref();
    }
    return credentials;
  }

  get material(): TlsMaterial {
    return this.#material;
  }

  get authorities(): Authorities {
    return this.#options.authorities;
  }

  /** For the MySQL port: the proxy's cert; the client's cert is requested and checked after TLS. */
  mysqlContext(): SecureContext {
    return this.#mysqlContext;
  }

  /**
   * Seals new tickets with a fresh key. Tickets sealed with the previous one are no longer
   * honoured: their clients get a full handshake (and a new ticket), never an error.
   */
  rotateTicketKey(key: Buffer = randomBytes(48)): void {
    this.#ticketKey = key;
    // SecureContext.context is Node's native context, the one tls.Server.setTicketKeys uses.
    (this.#mysqlContext.context as { setTicketKeys(keys: Buffer): void }).setTicketKeys(this.#ticketKey);
  }

  /** PEMs of the user CAs trusted now. */
  userCaPems(): string[] {
    return this.#options.authorities.trustedCas('user').map((ca) => ca.certificate);
  }

  /** PEMs of the host CAs trusted now (engines' certificates chain to one). */
  hostCaPems(): string[] {
    return this.#options.authorities.trustedCas('host').map((ca) => ca.certificate);
  }

  /** Called after the certificate or the trusted CAs changed. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Reloads the CAs, renews the certificate when due, and rebuilds the TLS contexts if anything changed. */
  async refresh(now = new Date()): Promise<void> {
    try {
      await this.#options.authorities.reload();
      const { notBefore, notAfter } = this.#material;
      const due = notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * RENEW_AT;
      const hostCa = this.#options.authorities.list('host')[0]!;
      const renewed = now.getTime() >= due || !this.#material.cert.includes(hostCa.certificate.trim());
      if (renewed) await this.#issue(now);
      if (renewed || this.#trustKey() !== this.#caKey) {
        this.#rebuild();
        for (const listener of this.#listeners) listener();
      }
    } catch (err) {
      this.#options.log.error({ err }, 'could not refresh the proxy TLS credentials');
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#ticketTimer);
  }

  get #tls(): MysqlTlsSettings {
    return this.#options.mysqlTls ?? { minVersion: 'TLSv1.2', resumption: true };
  }

  async #issue(now = new Date()): Promise<void> {
    const authorities = this.#options.authorities;
    const signer = await authorities.signer('host');
    const issued = await issueHostCert(signer, {
      name: this.#options.proxyId,
      sans: this.#options.publicAddr,
      now,
      ...(this.#options.ttlMs !== undefined ? { ttlMs: this.#options.ttlMs } : {}),
    });
    this.#material = {
      cert: `${issued.certificate.trim()}\n${signer.record.certificate.trim()}\n`,
      key: issued.privateKey,
      notBefore: issued.cert.notBefore,
      notAfter: issued.notAfter,
    };
    this.#options.log.info(
      { notAfter: issued.notAfter.toISOString(), sans: this.#options.publicAddr },
      'proxy certificate issued',
    );
  }

  #trustKey(): string {
    const authorities = this.#options.authorities;
    return [...authorities.trustedCas('user'), ...authorities.trustedCas('host')].map((ca) => ca.fingerprint).join(',');
  }

  #rebuild(): void {
    this.#caKey = this.#trustKey();
    const tls = this.#tls;
    const userCas = this.#options.authorities.trustedCas('user');
    this.#mysqlContext = createSecureContext({
      cert: this.#material.cert,
      key: this.#material.key,
      // Only the CA names in the CertificateRequest; verification is ours, after TLS.
      ca: userCas.map((ca) => ca.certificate),
      minVersion: tls.minVersion,
      ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
      // Set even with resumption off: a client that offers a session must get a full handshake,
      // and without a context OpenSSL answers it with an alert.
      sessionIdContext: computeSessionIdContext(userCas.map((ca) => ca.fingerprint)),
      sessionTimeout: SESSION_LIFETIME_S,
      // The same key across rebuilds: a renewed certificate does not cost every client a handshake.
      ticketKeys: this.#ticketKey,
      // Off: no TLS 1.2 tickets, and TLS 1.3 tickets become stateful ones that no cache holds.
      ...(tls.resumption ? {} : { secureOptions: cryptoConstants.SSL_OP_NO_TICKET }),
    });
  }
}
