// The engine acts on a stream only when a proxy proves it (issue 17, docs/migration.md): the
// stream's header carries a session token signed with the proxy's host key and the proxy's host
// certificate, which must chain to a host CA the engine trusts now. The previous host CA is
// trusted through a rotation's grace period (the CA list says so), and so is a token signed a
// moment before the proxy renewed its certificate: the old certificate is valid until it expires.
import { X509Certificate } from 'node:crypto';
import { SessionTokenError, SessionTokenVerifier } from '@gatehouse/common';
import type { StreamOpenHeader } from '@gatehouse/tunnel';
import { EngineError } from '../errors.js';

export interface SessionTokenCheckOptions {
  /** PEMs of the host CAs trusted now (the active one, and the previous during a rotation). */
  readonly hostCas: () => readonly string[];
  readonly now?: () => number;
}

/** Throws an EngineError (GH_ERR_SESSION_TOKEN, ERR 1045) when the header's token does not hold. */
export type SessionTokenCheck = (header: StreamOpenHeader) => void;

export function createSessionTokenCheck(options: SessionTokenCheckOptions): SessionTokenCheck {
  const now = options.now ?? Date.now;
  const verifier = new SessionTokenVerifier({ now });
  let caCache: { key: string; cas: X509Certificate[] } | undefined;
  const trustedCas = (): X509Certificate[] => {
    const pems = options.hostCas();
    const key = pems.join('\n');
    if (caCache?.key !== key) caCache = { key, cas: pems.map((p) => new X509Certificate(p)) };
    return caCache.cas;
  };
  return (header) => {
    try {
      const ext = header.extensions ?? {};
      const token = ext.sessionToken;
      const certB64 = ext.sessionTokenCert;
      if (typeof token !== 'string' || typeof certB64 !== 'string') {
        throw new SessionTokenError('malformed', 'the stream carries no session token');
      }
      const signer = readCertificate(certB64);
      const at = now();
      const issued = trustedCas().some((ca) => signer.checkIssued(ca) && signer.verify(ca.publicKey));
      const valid = Date.parse(signer.validFrom) <= at && at <= Date.parse(signer.validTo);
      if (!issued || !valid)
        throw new SessionTokenError(
          'unknown_key',
          'the session token is signed by a key no trusted host CA vouches for now',
        );
      verifier.verify(token, { sessionId: header.sessionId, route: header.route }, signer.publicKey);
    } catch (err) {
      if (!(err instanceof SessionTokenError)) throw err;
      throw new EngineError(
        'GH_ERR_SESSION_TOKEN',
        `the proxy's session token was refused (${err.reason}): ${err.message}`,
        { errno: 1045, sqlState: '28000' },
        { reason: err.reason, cause: err },
      );
    }
  };
}

function readCertificate(base64: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch (err) {
    throw new SessionTokenError('malformed', 'the session token certificate cannot be read', { cause: err });
  }
}
