// The proxy's own TLS identity: a host certificate for `public_addr`, issued from the host CA,
// renewed in place before it expires, and the CA sets its TLS servers trust. A CA rotation made
// by gatectl in another process is picked up by reloading the authorities on each refresh.
import { createSecureContext, type SecureContext } from 'node:tls';
import { type Authorities, issueHostCert } from '@gatehouse/auth';
import type { Logger } from 'pino';

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
}

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
  readonly #listeners: Array<() => void> = [];

  private constructor(options: ProxyCredentialsOptions) {
    this.#options = options;
  }

  static async create(options: ProxyCredentialsOptions): Promise<ProxyCredentials> {
    const credentials = new ProxyCredentials(options);
    await credentials.#issue();
    credentials.#rebuild();
    const interval = options.refreshIntervalMs ?? 30_000;
    credentials.#timer = setInterval(() => void credentials.refresh(), interval);
    credentials.#timer.unref();
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
    this.#options.log.info({ notAfter: issued.notAfter.toISOString(), sans: this.#options.publicAddr }, 'proxy certificate issued');
  }

  #trustKey(): string {
    const authorities = this.#options.authorities;
    return [...authorities.trustedCas('user'), ...authorities.trustedCas('host')].map((ca) => ca.fingerprint).join(',');
  }

  #rebuild(): void {
    this.#caKey = this.#trustKey();
    this.#mysqlContext = createSecureContext({
      cert: this.#material.cert,
      key: this.#material.key,
      // Only the CA names in the CertificateRequest; verification is ours, after TLS.
      ca: this.userCaPems(),
      minVersion: 'TLSv1.2',
    });
  }
}
