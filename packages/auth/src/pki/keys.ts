// Key pairs for CAs and leaf certificates, through Node's WebCrypto. @peculiar/x509's
// dependency injection (tsyringe) needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const KEY_ALGORITHMS = ['ecdsa-p256', 'rsa-2048'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

const PARAMS = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
} as const;

const IMPORT_PARAMS = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
} as const;

/** The signature algorithm a key of this kind signs certificates with. */
export function signingAlgorithm(algorithm: KeyAlgorithm): { name: string; hash: string } {
  return algorithm === 'ecdsa-p256'
    ? { name: 'ECDSA', hash: 'SHA-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(PARAMS[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM ("PRIVATE KEY"), which openssl, mariadb and mysql all read. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function exportPrivateKeyDer(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key));
}

export async function importPrivateKeyPem(pem: string, algorithm: KeyAlgorithm): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, IMPORT_PARAMS[algorithm], false, ['sign']);
}

/**
 * Imports a peer's public key (PEM SubjectPublicKeyInfo) for certification, e.g. an engine's
 * join request. Returns undefined for key types Gatehouse does not certify.
 */
export async function importPublicKeyPem(
  pem: string,
): Promise<{ key: CryptoKey; algorithm: KeyAlgorithm } | undefined> {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return undefined;
  }
  const details = key.asymmetricKeyDetails;
  let algorithm: KeyAlgorithm | undefined;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') algorithm = 'ecdsa-p256';
  else if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) algorithm = 'rsa-2048';
  if (algorithm === undefined) return undefined;
  const der = key.export({ type: 'spki', format: 'der' });
  return { key: await webcrypto.subtle.importKey('spki', der, IMPORT_PARAMS[algorithm], true, ['verify']), algorithm };
}
