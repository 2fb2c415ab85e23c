// An engine in another process joins the cluster: it makes its own key pair, trades the
// one-time token for a host certificate at the proxy's /v1/join (pinning the host CA), keeps the
// certificate, key and CA in its data dir, and renews over mTLS (/v1/renew) before expiry.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError } from '@gatehouse/common';
import type { Logger } from 'pino';
import { type JsonResponse, postJson } from './pinned-request.js';

export interface HostCredentials {
  readonly cert: string;
  readonly key: string;
  /** The host CA bundle: what the proxy's certificate must chain to from now on. */
  readonly ca: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * One PEM bundle. The PEMs may lack a final newline: glued together as they are, the second
 * certificate's BEGIN line fuses with the first's END line and the bundle holds one CA only,
 * which breaks the tunnel to a proxy re-issued from a new CA after a rotation.
 */
function joinPems(pems: readonly string[]): string {
  return pems.map((pem) => `${pem.trim()}\n`).join('');
}

function toCredentials(cert: string, key: string, ca: string): HostCredentials {
  const parsed = new X509Certificate(cert);
  return { cert, key, ca, notBefore: new Date(parsed.validFrom), notAfter: new Date(parsed.validTo) };
}

export interface JoinOptions {
  /** The proxy's HTTPS address, host:port (config engine.proxy_addr). */
  readonly proxyAddr: string;
  readonly token: string;
  readonly caPin: string;
  /** The engine id: the CN of its certificate. */
  readonly engineId: string;
  /** Where cert, key and CA are kept (e.g. <data_dir>/engine). */
  readonly dir: string;
  readonly sans?: readonly string[];
}

const FILES = { cert: 'host.crt', key: 'host.key', ca: 'host-ca.pem' } as const;

function newKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function readReply(response: JsonResponse, what: string): { certificate: string; caChain: string[]; notAfter: string } {
  const body = response.body as {
    certificate?: unknown;
    caChain?: unknown;
    notAfter?: unknown;
    error?: { code?: string; message?: string };
  };
  if (
    response.status !== 200 ||
    typeof body?.certificate !== 'string' ||
    !Array.isArray(body.caChain) ||
    typeof body.notAfter !== 'string'
  ) {
    const reason = body?.error?.message ?? `HTTP ${response.status}`;
    throw new GatehouseError('GH_ERR_JOIN_FAILED', `${what} refused by the proxy: ${reason}`);
  }
  return { certificate: body.certificate, caChain: body.caChain as string[], notAfter: body.notAfter };
}

async function storeCredentials(dir: string, credentials: HostCredentials): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Temp files and renames, so a crash never leaves a key that does not match its certificate.
  const write = async (name: string, text: string, mode: number): Promise<void> => {
    await writeFile(join(dir, `${name}.tmp`), text, { mode });
    await rename(join(dir, `${name}.tmp`), join(dir, name));
  };
  await write(FILES.key, credentials.key, 0o600);
  await write(FILES.cert, credentials.cert, 0o644);
  await write(FILES.ca, credentials.ca, 0o644);
}

/** Joins with the token and stores the credentials in `dir`. */
export async function joinCluster(options: JoinOptions): Promise<HostCredentials> {
  const keys = newKeyPair();
  const response = await postJson({
    url: `https://${options.proxyAddr}/v1/join`,
    caPin: options.caPin,
    body: {
      token: options.token,
      name: options.engineId,
      publicKey: keys.publicKey,
      ...(options.sans ? { sans: options.sans } : {}),
    },
  });
  const reply = readReply(response, 'join');
  const credentials = toCredentials(reply.certificate, keys.privateKey, joinPems(reply.caChain));
  await storeCredentials(options.dir, credentials);
  return credentials;
}

/** The credentials a previous join stored, or undefined when there are none. */
export async function loadHostCredentials(dir: string): Promise<HostCredentials | undefined> {
  try {
    const [cert, key, ca] = await Promise.all(
      [FILES.cert, FILES.key, FILES.ca].map((f) => readFile(join(dir, f), 'utf8')),
    );
    return toCredentials(cert!, key!, ca!);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Renews over mTLS with the current certificate; stores and returns the new credentials. */
export async function renewHostCredentials(
  proxyAddr: string,
  dir: string,
  current: HostCredentials,
): Promise<HostCredentials> {
  const keys = newKeyPair();
  const response = await postJson({
    url: `https://${proxyAddr}/v1/renew`,
    ca: current.ca,
    cert: current.cert,
    key: current.key,
    body: { publicKey: keys.publicKey },
  });
  const reply = readReply(response, 'renewal');
  const credentials = toCredentials(reply.certificate, keys.privateKey, joinPems(reply.caChain));
  await storeCredentials(dir, credentials);
  return credentials;
}

export interface HostCredentialKeeper {
  /** The current credentials: pass as the tunnel client's getCredentials. */
  current(): HostCredentials;
  stop(): void;
}

/**
 * Keeps the credentials fresh: renews when two thirds of the lifetime have passed (checked every
 * `checkIntervalMs`), retrying on the next check after a failure.
 */
export function keepHostCredentials(
  proxyAddr: string,
  dir: string,
  initial: HostCredentials,
  log: Logger,
  checkIntervalMs = 60_000,
): HostCredentialKeeper {
  let current = initial;
  let renewing = false;
  const timer = setInterval(() => {
    const start = current.notBefore.getTime();
    if (renewing || Date.now() < start + ((current.notAfter.getTime() - start) * 2) / 3) return;
    renewing = true;
    renewHostCredentials(proxyAddr, dir, current)
      .then((next) => {
        current = next;
        log.info({ notAfter: next.notAfter.toISOString() }, 'engine certificate renewed');
      })
      .catch((err) => log.warn({ err }, 'engine certificate renewal failed; retrying later'))
      .finally(() => {
        renewing = false;
      });
  }, checkIntervalMs);
  timer.unref();
  return { current: () => current, stop: () => clearInterval(timer) };
}
