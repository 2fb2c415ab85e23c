import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { GatehouseError } from '@gatehouse/common';

/** An engine presented no certificate, or one the host CA did not sign. */
export class TunnelAuthError extends GatehouseError {
  constructor(message: string, options?: ErrorOptions) {
    super('GH_ERR_TUNNEL_AUTH', message, options);
  }
}

/** Splits a PEM bundle into certificates. */
export function parseCaBundle(pems: readonly string[]): X509Certificate[] {
  const blocks = pems.flatMap(
    (pem) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [],
  );
  return blocks.map((block) => new X509Certificate(block));
}

/** The CN of a certificate subject, which is the engine id in host certs. */
export function readCommonName(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/**
 * Checks that the TLS peer's certificate chains to one of the host CAs and returns the engine id
 * from its CN. The HTTPS server may also trust other CAs (users' certs for the API), so
 * `socket.authorized` alone is not enough: the issuer must be a host CA.
 */
export function verifyEnginePeer(socket: TLSSocket, hostCas: readonly X509Certificate[]): string {
  if (!socket.authorized) {
    throw new TunnelAuthError(
      `engine certificate not accepted: ${String(socket.authorizationError ?? 'no certificate')}`,
    );
  }
  const peer = socket.getPeerCertificate(false);
  if (peer?.raw === undefined) throw new TunnelAuthError('engine presented no certificate');
  const leaf = new X509Certificate(peer.raw);
  const now = Date.now();
  if (Date.parse(leaf.validTo) < now || Date.parse(leaf.validFrom) > now) {
    throw new TunnelAuthError(`engine certificate is not valid now (valid ${leaf.validFrom} to ${leaf.validTo})`);
  }
  if (!hostCas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) {
    throw new TunnelAuthError('engine certificate was not issued by the host CA');
  }
  const engineId = readCommonName(leaf);
  if (engineId === undefined || engineId === '') throw new TunnelAuthError('engine certificate has no common name');
  return engineId;
}

/**
 * Whether a registration's engine id belongs to the certificate's CN: the CN itself, or the CN
 * with a session worker's suffix `#<index>` (engine.workers: each worker of one engine keeps its
 * own tunnels and registers apart, under the one host certificate).
 */
export function isEngineIdOf(claimed: string, commonName: string): boolean {
  if (claimed === commonName) return true;
  return (
    claimed.length > commonName.length + 1 &&
    claimed.startsWith(commonName) &&
    /^#\d{1,3}$/.test(claimed.slice(commonName.length))
  );
}

/** The engine an id names, without a session worker's suffix (`engine-a#1` → `engine-a`). */
export function engineOfId(engineId: string): string {
  const hash = engineId.lastIndexOf('#');
  return hash > 0 && /^#\d{1,3}$/.test(engineId.slice(hash)) ? engineId.slice(0, hash) : engineId;
}
