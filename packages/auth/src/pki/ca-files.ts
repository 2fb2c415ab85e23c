// File primitives for the CA directory: atomic replace (temp file + rename), atomic create
// (temp file + link, which fails when the target exists), and a short-lived directory lock.
import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { GatehouseError } from '@gatehouse/common';

function tempPath(path: string): string {
  return join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `path` so readers see the old or the new content, never a mix. */
export async function replaceFile(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = tempPath(path);
  await writeFile(tmp, data, { mode, flag: 'wx' });
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Creates `path` atomically; returns false (and writes nothing) when it already exists. */
export async function createFileExclusive(path: string, data: string, mode = 0o644): Promise<boolean> {
  const tmp = tempPath(path);
  await writeFile(tmp, data, { mode, flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

const LOCK_WAIT_MS = 10_000;
const LOCK_STALE_MS = 60_000;
const LOCK_POLL_MS = 25;

/** Runs `fn` holding `<dir>/.lock` (a directory: mkdir is atomic). A lock older than a minute is stale. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) {
        throw new GatehouseError('GH_ERR_CA_STORAGE', `the CA directory ${dir} stayed locked by another process; remove ${lock} if no gatectl is running`);
      } else await delay(LOCK_POLL_MS);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
