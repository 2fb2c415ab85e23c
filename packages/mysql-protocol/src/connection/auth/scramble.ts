// Password scrambles of the MySQL/MariaDB auth plugins. Each one proves knowledge of the
// password against the server's per-connection nonce without sending the password.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods.html
import { createHash, constants as cryptoConstants, publicEncrypt } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

const EMPTY = Buffer.alloc(0);

function digest(algorithm: 'sha1' | 'sha256' | 'sha512', ...parts: Uint8Array[]): Buffer {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function xorInto(target: Buffer, mask: Uint8Array): Buffer {
  for (let i = 0; i < target.length; i++) target[i] = target[i]! ^ mask[i % mask.length]!;
  return target;
}

/** mysql_native_password: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw))); empty password → empty. */
export function scrambleNativePassword(password: string, nonce: Uint8Array): Buffer {
  if (password.length === 0) return EMPTY;
  const stage1 = digest('sha1', Buffer.from(password, 'utf8'));
  const stage2 = digest('sha1', stage1);
  return xorInto(stage1, digest('sha1', nonce, stage2));
}

/** caching_sha2_password fast auth: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce). */
export function scrambleCachingSha2(password: string, nonce: Uint8Array): Buffer {
  if (password.length === 0) return EMPTY;
  const stage1 = digest('sha256', Buffer.from(password, 'utf8'));
  const stage2 = digest('sha256', stage1);
  return xorInto(stage1, digest('sha256', stage2, nonce));
}

/**
 * The RSA-protected password of caching_sha2_password and sha256_password over plaintext:
 * (password + NUL) XOR the nonce (cycled), encrypted with RSA-OAEP (SHA-1) under the server's key.
 */
export function encryptPasswordWithPublicKey(
  password: string,
  nonce: Uint8Array,
  publicKeyPem: string | Buffer,
): Buffer {
  const clear = Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]);
  xorInto(clear, nonce);
  return publicEncrypt({ key: publicKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, clear);
}

/** The password as cleartext plugins send it: UTF-8 with a terminating NUL. */
export function cleartextPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]);
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function numberToBytesLE(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * MariaDB client_ed25519. The "seed" is the whole password, of any length, not a 32-byte
 * key: a = clamp(SHA512(password)[0..32]), and the nonce prefix is SHA512(password)[32..64].
 * The rest is a standard Ed25519 signature of the server's nonce.
 * https://mariadb.com/kb/en/authentication-plugin-ed25519/
 */
export function signEd25519(password: string, message: Uint8Array): Buffer {
  const az = digest('sha512', Buffer.from(password, 'utf8'));
  az[0] = az[0]! & 248;
  az[31] = (az[31]! & 63) | 64;
  const order = ed25519.Point.Fn.ORDER;
  const scalar = bytesToNumberLE(az.subarray(0, 32)) % order;
  const publicKey = ed25519.Point.BASE.multiply(scalar).toBytes();
  const r = bytesToNumberLE(digest('sha512', az.subarray(32, 64), message)) % order;
  const bigR = ed25519.Point.BASE.multiply(r).toBytes();
  const k = bytesToNumberLE(digest('sha512', bigR, publicKey, message)) % order;
  const s = (r + k * scalar) % order;
  return Buffer.concat([bigR, numberToBytesLE(s, 32)]);
}

/** The public key MariaDB stores for a client_ed25519 password (for tests and tooling). */
export function deriveEd25519PublicKey(password: string): Buffer {
  const az = digest('sha512', Buffer.from(password, 'utf8'));
  az[0] = az[0]! & 248;
  az[31] = (az[31]! & 63) | 64;
  const scalar = bytesToNumberLE(az.subarray(0, 32)) % ed25519.Point.Fn.ORDER;
  return Buffer.from(ed25519.Point.BASE.multiply(scalar).toBytes());
}
