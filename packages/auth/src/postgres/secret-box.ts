// AES-256-GCM for CA private keys at rest in PostgreSQL. The key comes from a file or an env
// var that never enters the database, so a dump alone cannot sign certificates. The row's
// identity is the associated data: a ciphertext moved to another row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GatehouseError } from '@gatehouse/common';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  seal(plaintext: string, context: string): Buffer;
  open(sealed: Buffer, context: string): string;
}

/** 32 bytes, written as 64 hex digits or base64 (what `openssl rand -hex 32` or `-base64 32` prints). */
export function parseEncryptionKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(t) && key.toString('base64') !== t)) {
    throw new GatehouseError(
      'GH_ERR_STORE_KEY',
      `${where}: the storage encryption key must be 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)`,
    );
  }
  return key;
}

export interface EncryptionKeySource {
  readonly encryption_key_file?: string | undefined;
  readonly encryption_key_env?: string | undefined;
}

export function loadEncryptionKey(source: EncryptionKeySource, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (source.encryption_key_file !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.encryption_key_file, 'utf8');
    } catch (err) {
      throw new GatehouseError(
        'GH_ERR_STORE_KEY',
        `cannot read storage.encryption_key_file ${source.encryption_key_file}`,
        {
          cause: err,
        },
      );
    }
    return parseEncryptionKey(text, source.encryption_key_file);
  }
  if (source.encryption_key_env !== undefined) {
    const text = env[source.encryption_key_env];
    if (!text)
      throw new GatehouseError(
        'GH_ERR_STORE_KEY',
        `the env var ${source.encryption_key_env} (storage.encryption_key_env) is not set`,
      );
    return parseEncryptionKey(text, `$${source.encryption_key_env}`);
  }
  throw new GatehouseError(
    'GH_ERR_STORE_KEY',
    'the postgres storage needs storage.encryption_key_file or storage.encryption_key_env to keep CA keys encrypted',
  );
}

export function createSecretBox(key: Buffer): SecretBox {
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed, context) {
      if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
        throw new GatehouseError('GH_ERR_STORE_KEY', `${context}: not a sealed key of a known format`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new GatehouseError(
          'GH_ERR_STORE_KEY',
          `${context}: cannot decrypt with this storage encryption key (a different key, or the row was altered)`,
        );
      }
    },
  };
}
