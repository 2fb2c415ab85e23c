// Seconds until a host certificate expires, read at scrape time so the value is exact and
// a renewal shows at once. Labelled by what the certificate is for, never by whose it is.
import { X509Certificate } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';

/**
 * Registers gatehouse_cert_expiry_seconds{cert}; `certs` returns the PEMs now in use by role
 * (e.g. { proxy_tls: pem }).
 */
export function certExpiryGauge(registry: Registry, certs: () => Record<string, string | undefined>): void {
  // The parse is cached per role until the PEM changes (a renewal).
  const parsed = new Map<string, { pem: string; notAfter: number }>();
  const notAfterOf = (role: string, pem: string): number | undefined => {
    const hit = parsed.get(role);
    if (hit !== undefined && hit.pem === pem) return hit.notAfter;
    try {
      const notAfter = Date.parse(new X509Certificate(pem).validTo);
      parsed.set(role, { pem, notAfter });
      return notAfter;
    } catch {
      return undefined;
    }
  };
  new Gauge({
    name: 'gatehouse_cert_expiry_seconds',
    help: 'Seconds until a host certificate this process presents expires, by certificate role.',
    labelNames: ['cert'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const [role, pem] of Object.entries(certs())) {
        if (pem === undefined) continue;
        const notAfter = notAfterOf(role, pem);
        if (notAfter !== undefined) this.set({ cert: role }, (notAfter - now) / 1000);
      }
    },
  });
}
