// A short-lived advisory lock between processes sharing a data dir (gatectl and a running
// server): a file created with O_EXCL, held for the milliseconds of one update. Its owner writes
// pid, host and a nonce into it, so a lock left behind by a crashed process can be recognised and
// broken. The store and the CA directory use it; the audit writer's lock is a different kind
// (held for a process's lifetime, see audit/writer-lock.ts).
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { GatehouseError } from '@gatehouse/common';

export interface LockFileOptions {
  /** How long to wait for another holder before failing with GH_ERR_STORE_LOCK_TIMEOUT. */
  readonly timeoutMs?: number;
  /** A lock older than this is stale even if its owner seems alive (locks are held for milliseconds). */
  readonly staleMs?: number;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
  readonly time: number;
}

export type ReleaseLock = () => Promise<void>;

/** Whether a process with this pid exists on this host (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return typeof owner.nonce === 'string' ? owner : undefined;
  } catch {
    // Missing, or caught between create and write: treat as live and look again shortly.
    return undefined;
  }
}

function isStale(owner: LockOwner, staleMs: number): boolean {
  if (Date.now() - owner.time > staleMs) return true;
  return owner.host === hostname() && !isProcessAlive(owner.pid);
}

/**
 * Breaks a stale lock. The lock is first renamed aside, so of several breakers only one gets
 * it; if what was renamed turns out to be a fresh lock (someone broke and re-took it between our
 * read and our rename), it is put back.
 */
async function breakStaleLock(path: string, stale: LockOwner): Promise<void> {
  const aside = `${path}.stale.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  const moved = await readOwner(aside);
  if (moved !== undefined && moved.nonce !== stale.nonce) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** Takes the lock at `path`, waiting with a bounded backoff; returns the function that releases it. */
export async function acquireLockFile(path: string, options: LockFileOptions = {}): Promise<ReleaseLock> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(12).toString('hex'),
    time: Date.now(),
  };
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      return async () => {
        // Only remove the lock if it is still ours (it may have been broken as stale).
        const current = await readOwner(path);
        if (current?.nonce === owner.nonce) await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GatehouseError('GH_ERR_STORE_IO', `cannot create lock file ${path}`, { cause: err });
      }
    }
    const holder = await readOwner(path);
    if (holder !== undefined && isStale(holder, staleMs)) {
      await breakStaleLock(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? ` (held by pid ${holder.pid} on ${holder.host})` : '';
      throw new GatehouseError(
        'GH_ERR_STORE_LOCK_TIMEOUT',
        `timed out after ${timeoutMs} ms waiting for ${path}${who}`,
      );
    }
    await delay(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 50);
  }
}

/** Runs `fn` holding the lock at `path`, and releases it however `fn` ends. */
export async function withLockFile<T>(path: string, options: LockFileOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLockFile(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}
