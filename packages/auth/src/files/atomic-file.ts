// Crash-safe file writes: a reader sees the old content or the new, never a torn file.
// The bytes go to a temp file in the same directory, are fsynced, then renamed (replace) or
// hard-linked (create only if absent) into place, and the directory is fsynced.
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Test seam: runs after the temp file is durable and before it is put in place. */
export interface AtomicWriteHooks {
  readonly beforeCommit?: (tempPath: string) => void | Promise<void>;
}

export interface AtomicWriteOptions extends AtomicWriteHooks {
  /** The new file's mode; 0600 unless the content is public (a CA's state and certificates). */
  readonly mode?: number;
}

const DEFAULT_MODE = 0o600;

/** Temp files start with a dot so listings skip them; a crash may leave one behind. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeDurable(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Replaces `path` with `data` atomically. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeDurable(temp, data, options.mode ?? DEFAULT_MODE);
    await options.beforeCommit?.(temp);
    await rename(temp, path);
  } catch (err) {
    await removeQuietly(temp);
    throw err;
  }
  await syncDir(dirname(path));
}

/**
 * Creates `path` with `data` only if it does not exist yet; returns false when it does.
 * link(2) fails with EEXIST atomically, so two creators never both win.
 */
export async function createFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<boolean> {
  const temp = tempPathFor(path);
  try {
    await writeDurable(temp, data, options.mode ?? DEFAULT_MODE);
    await options.beforeCommit?.(temp);
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await removeQuietly(temp);
  }
  await syncDir(dirname(path));
  return true;
}
