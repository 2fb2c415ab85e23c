// Caches one db-client certificate per db user, so a burst of sessions does not ask the auth part
// to sign each time. A cached certificate is used only for a user whose own certificate expires
// no earlier than it, and only while it has a margin left; otherwise a fresh one is signed.
import type { DbClientCert, DbClientCertRequest, DbClientCertSigner } from './engine-cluster.js';

export interface DbClientCertCacheOptions {
  /** A cached certificate with less than this left is not used (default 60 s). */
  readonly minRemainingMs?: number;
  readonly now?: () => number;
}

export function createDbClientCertCache(
  signer: DbClientCertSigner,
  options: DbClientCertCacheOptions = {},
): DbClientCertSigner {
  const minRemainingMs = options.minRemainingMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, DbClientCert>();
  const inFlight = new Map<string, Promise<DbClientCert>>();

  const usable = (cert: DbClientCert | undefined, request: DbClientCertRequest): cert is DbClientCert =>
    cert !== undefined &&
    cert.notAfter.getTime() <= request.notAfter.getTime() &&
    cert.notAfter.getTime() - now() > minRemainingMs;

  return {
    async signDbClient(request) {
      const cached = cache.get(request.dbUser);
      if (usable(cached, request)) return cached;
      const pending = inFlight.get(request.dbUser);
      if (pending !== undefined) {
        const cert = await pending;
        if (usable(cert, request)) return cert;
      }
      const signing = signer.signDbClient(request);
      inFlight.set(request.dbUser, signing);
      try {
        const cert = await signing;
        // Keep the longest-lived one: it serves the most users.
        const current = cache.get(request.dbUser);
        if (current === undefined || current.notAfter.getTime() < cert.notAfter.getTime())
          cache.set(request.dbUser, cert);
        return cert;
      } finally {
        if (inFlight.get(request.dbUser) === signing) inFlight.delete(request.dbUser);
      }
    },
  };
}
