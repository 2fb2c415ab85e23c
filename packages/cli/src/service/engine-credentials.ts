// The engine's host certificate when auth runs in the same process: issued straight from the
// host CA and renewed at two thirds of its life, so the tunnel's mTLS never sees an expired one.
import { type Authorities, issueHostCert } from '@gatehouse/auth';
import type { Logger } from '@gatehouse/common';

export interface EngineTlsCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: readonly string[];
}

const HOST_CERT_TTL_MS = 24 * 3600_000;

export function createInProcessEngineCredentials(
  authorities: Authorities,
  engineId: string,
  log: Logger,
): { get(): Promise<EngineTlsCredentials> } {
  let current: { creds: EngineTlsCredentials; renewAt: number } | undefined;
  let pending: Promise<EngineTlsCredentials> | undefined;

  const issue = async (): Promise<EngineTlsCredentials> => {
    const signer = await authorities.signer('host');
    const issued = await issueHostCert(signer, { name: engineId, sans: [engineId], ttlMs: HOST_CERT_TTL_MS });
    const ca = authorities.trustedCas('host').map((c) => c.certificate);
    const creds = { cert: issued.certificate, key: issued.privateKey, ca };
    const lifetime = issued.notAfter.getTime() - Date.now();
    current = { creds, renewAt: Date.now() + (lifetime * 2) / 3 };
    log.info({ engineId, notAfter: issued.notAfter.toISOString() }, 'engine host certificate issued');
    return creds;
  };

  return {
    get(): Promise<EngineTlsCredentials> {
      if (current && Date.now() < current.renewAt) return Promise.resolve(current.creds);
      pending ??= issue().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}
