// Signs the session token a stream's header carries (docs/migration.md): the proxy's host key
// proves to the engine that this proxy opened the stream for this session, user and route, and
// the host certificate beside it lets the engine check that key against the host CAs it trusts.
// The signer follows the credentials: a renewed certificate signs from the next stream on.
import { X509Certificate } from 'node:crypto';
import {
  createSessionTokenSigner,
  type SessionTokenInput,
  type SessionTokenSigner,
  signSessionToken,
} from '@gatehouse/common';

export interface SessionTokenMaterial {
  /** The leaf first (further certificates are ignored). */
  readonly cert: string;
  readonly key: string;
}

/** The header extensions that carry the token. */
export interface SessionTokenExtensions {
  readonly sessionToken: string;
  /** The signer's host certificate, DER in base64. */
  readonly sessionTokenCert: string;
}

export type SessionTokenIssuer = (input: SessionTokenInput) => SessionTokenExtensions;

export function createSessionTokenIssuer(material: () => SessionTokenMaterial): SessionTokenIssuer {
  let current: { key: string; signer: SessionTokenSigner; cert: string } | undefined;
  return (input) => {
    const m = material();
    if (current?.key !== m.key) {
      const leaf = new X509Certificate(m.cert);
      current = { key: m.key, signer: createSessionTokenSigner(m.key), cert: leaf.raw.toString('base64') };
    }
    return { sessionToken: signSessionToken(input, current.signer), sessionTokenCert: current.cert };
  };
}
