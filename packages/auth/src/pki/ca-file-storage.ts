// The CAs under `<data_dir>/ca/<type>/`: state.json, `<id>.crt`, and `<id>.key` at 0600 in a
// 0700 directory. Private keys never appear in logs or error messages.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError, isGatehouseError } from '@gatehouse/common';
import { createFileAtomic, writeFileAtomic } from '../files/atomic-file.js';
import { withLockFile } from '../files/lock-file.js';
import { type CaState, CaStateSchema } from './ca-state.js';
import type { CaStorage } from './ca-storage.js';
import { CA_TYPES, type CaType } from './create-ca.js';

const caDir = (dataDir: string, type: CaType): string => join(dataDir, 'ca', type);

export function caStorageError(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('GH_ERR_CA_STORAGE', message, cause === undefined ? undefined : { cause });
}

/** state.json and certificates are public; only keys are 0600. */
const PUBLIC_FILE = { mode: 0o644 } as const;

const stateText = (state: CaState): string => `${JSON.stringify(state, null, 2)}\n`;

/** Creates the directories when `create` is set (ca init); otherwise only reads what is there. */
export async function openCaFileStorage(dataDir: string, options: { create?: boolean } = {}): Promise<CaStorage> {
  if (options.create) {
    await mkdir(join(dataDir, 'ca'), { recursive: true, mode: 0o700 });
    for (const type of CA_TYPES) {
      await mkdir(caDir(dataDir, type), { recursive: true, mode: 0o700 });
      await chmod(caDir(dataDir, type), 0o700);
    }
  }
  return {
    where: dataDir,
    async readState(type) {
      const path = join(caDir(dataDir, type), 'state.json');
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw caStorageError(`cannot read ${path}`, err);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw caStorageError(`${path} is not valid JSON`, err);
      }
      const parsed = CaStateSchema.safeParse(json);
      if (!parsed.success) {
        throw caStorageError(
          `${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      if (parsed.data.type !== type) throw caStorageError(`${path} describes the ${parsed.data.type} CA, not ${type}`);
      return parsed.data;
    },
    async readCertificate(type, id) {
      const path = join(caDir(dataDir, type), `${id}.crt`);
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        throw caStorageError(`cannot read the ${type} CA certificate ${path}`, err);
      }
    },
    async readPrivateKey(type, id) {
      const path = join(caDir(dataDir, type), `${id}.key`);
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        // The cause may quote key bytes; keep only its code.
        const code = (err as NodeJS.ErrnoException).code;
        throw caStorageError(`cannot load the ${type} CA private key ${path}${code ? ` (${code})` : ''}`);
      }
    },
    async writeGeneration(type, id, certificatePem, keyPem) {
      const dir = caDir(dataDir, type);
      await writeFile(join(dir, `${id}.key`), keyPem, { mode: 0o600, flag: 'wx' });
      await writeFile(join(dir, `${id}.crt`), certificatePem, { mode: 0o644, flag: 'wx' });
    },
    // A concurrent init that won the race leaves its state in place; our unused files are harmless.
    createState: (type, state) =>
      createFileAtomic(join(caDir(dataDir, type), 'state.json'), stateText(state), PUBLIC_FILE),
    async replaceState(type, state) {
      await writeFileAtomic(join(caDir(dataDir, type), 'state.json'), stateText(state), PUBLIC_FILE);
    },
    async withLock(type, fn) {
      const dir = caDir(dataDir, type);
      const lock = join(dir, '.lock');
      try {
        return await withLockFile(lock, { timeoutMs: 10_000, staleMs: 60_000 }, fn);
      } catch (err) {
        if (!isGatehouseError(err, 'GH_ERR_STORE_LOCK_TIMEOUT')) throw err;
        throw caStorageError(
          `the CA directory ${dir} stayed locked by another process; remove ${lock} if no gatectl is running`,
          err,
        );
      }
    },
  };
}
