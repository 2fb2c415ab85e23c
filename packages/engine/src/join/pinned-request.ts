// HTTPS to the proxy before the engine trusts any CA: the proxy's chain must contain a CA whose
// SubjectPublicKeyInfo hashes to the pin from `gatectl tokens add`, and the leaf must be signed by
// it. The body (which carries the token) is sent only after that check.
import { createHash, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { GatehouseError } from '@gatehouse/common';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface PostJsonOptions {
  readonly url: string;
  readonly body: unknown;
  /** "sha256:<hex>" of a CA's SPKI: checked instead of a trusted CA (join). */
  readonly caPin?: string;
  /** Trusted CAs and a client certificate: ordinary mTLS (renewal). */
  readonly ca?: string | readonly string[];
  readonly cert?: string;
  readonly key?: string;
  readonly timeoutMs?: number;
}

export function spkiPin(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Throws GH_ERR_JOIN_PIN unless the peer's chain has the pinned CA and it signed the leaf. */
export function checkPinnedChain(socket: TLSSocket, pin: string): void {
  const peer = socket.getPeerCertificate(true);
  if (peer?.raw === undefined) throw new GatehouseError('GH_ERR_JOIN_PIN', 'the proxy presented no certificate');
  const leaf = new X509Certificate(peer.raw);
  let link = peer.issuerCertificate;
  const seen = new Set<string>();
  while (link?.raw !== undefined && !seen.has(link.fingerprint256)) {
    seen.add(link.fingerprint256);
    const ca = new X509Certificate(link.raw);
    if (spkiPin(ca) === pin.toLowerCase() && leaf.checkIssued(ca) && leaf.verify(ca.publicKey)) return;
    link = link.issuerCertificate;
  }
  throw new GatehouseError(
    'GH_ERR_JOIN_PIN',
    `the proxy's certificate does not chain to a CA with pin ${pin}; check --ca-pin against 'gatectl tokens add'`,
  );
}

export function postJson(options: PostJsonOptions): Promise<JsonResponse> {
  const payload = Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options.url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
      timeout: options.timeoutMs ?? 15_000,
      ...(options.caPin !== undefined
        ? { rejectUnauthorized: false }
        : { ca: options.ca as string | string[], cert: options.cert, key: options.key }),
    });
    req.on('timeout', () =>
      req.destroy(new GatehouseError('GH_ERR_JOIN_FAILED', `no answer from ${options.url} in time`)),
    );
    req.on('error', (err) =>
      reject(
        err instanceof GatehouseError
          ? err
          : new GatehouseError('GH_ERR_JOIN_FAILED', `cannot reach ${options.url}: ${err.message}`, { cause: err }),
      ),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    if (options.caPin === undefined) {
      req.end(payload);
      return;
    }
    const pin = options.caPin;
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        try {
          checkPinnedChain(socket as TLSSocket, pin);
          req.end(payload);
        } catch (err) {
          req.destroy(err as Error);
        }
      });
    });
  });
}
