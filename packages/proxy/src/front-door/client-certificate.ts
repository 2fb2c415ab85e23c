// The client certificate is checked here, after TLS, rather than by the TLS layer: a rejected
// certificate then reaches the person as a MySQL ERR that says why ("certificate expired at …")
// instead of a bare TLS alert.
import type { TLSSocket } from 'node:tls';
import { type Identity, type LockLookup, type TrustedCa, verifyIdentity } from '@gatehouse/common';

export interface ClientVerifier {
  /** Resolves the chain (DER, leaf first) to an identity, or throws IdentityError. */
  verify(chain: readonly Buffer[]): Promise<Identity>;
}

export interface ClientVerifierOptions {
  /** The user CAs trusted now: the active one and any still in a rotation's grace period. */
  readonly trustedUserCas: () => readonly TrustedCa[];
  readonly lookupLock?: LockLookup;
  readonly now?: () => Date;
}

export function createClientVerifier(options: ClientVerifierOptions): ClientVerifier {
  return {
    verify(chain) {
      return verifyIdentity(chain, {
        trusted: options.trustedUserCas(),
        ...(options.lookupLock !== undefined ? { lookupLock: options.lookupLock } : {}),
        ...(options.now !== undefined ? { now: options.now() } : {}),
      });
    },
  };
}

/** The certificates the client presented, DER, leaf first (empty when it sent none). */
export function readPeerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  // Node links each certificate to its issuer; a self-signed root links to itself.
  while (cert?.raw !== undefined && !seen.has(cert.fingerprint256) && chain.length < 8) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}
