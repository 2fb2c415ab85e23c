// The default store backend: one JSON file per object under <data_dir>/state/<kind>/<name>.json.
// Creates and replaces are atomic (see files/atomic-file.ts); compare-and-swap and multi-object
// operations hold an O_EXCL lock file (see files/lock-file.ts), so gatectl and a running server can
// share the directory.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError } from '@gatehouse/common';
import { type AtomicWriteHooks, createFileAtomic, writeFileAtomic } from '../files/atomic-file.js';
import { type LockFileOptions, withLockFile } from '../files/lock-file.js';
import { STORE_KINDS, type StoreBackend, type StoredRecord, type StoreKind, type StoreWatch } from './backend.js';

export interface FileBackendOptions {
  /** The state directory, usually <data_dir>/state. */
  readonly dir: string;
  readonly lock?: LockFileOptions;
  /** Test seam for crash simulation. */
  readonly writeHooks?: AtomicWriteHooks;
  /** Temp files a crashed writer left behind are removed on open once older than this (default 10 min). */
  readonly leftoverAgeMs?: number;
}

/** A crashed writer or taker leaves a dotfile behind; readers never look at them, and open sweeps old ones. */
async function removeLeftovers(kindDir: string, olderThanMs: number): Promise<void> {
  const cutoff = Date.now() - olderThanMs;
  for (const entry of await readdir(kindDir)) {
    if (!entry.startsWith('.') || !(entry.endsWith('.tmp') || entry.includes('.taken.'))) continue;
    const path = join(kindDir, entry);
    const s = await stat(path).catch(() => undefined);
    if (s && s.mtimeMs <= cutoff) await unlink(path).catch(() => undefined);
  }
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$/;

function revisionOf(bytes: string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function serialize(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

function ioError(action: string, path: string, err: unknown): GatehouseError {
  return new GatehouseError('GH_ERR_STORE_IO', `cannot ${action} ${path}: ${(err as Error).message}`, { cause: err });
}

/** Opens (creating if needed) a file backend. */
export async function createFileBackend(options: FileBackendOptions): Promise<StoreBackend> {
  const { dir } = options;
  try {
    for (const kind of STORE_KINDS) {
      await mkdir(join(dir, kind), { recursive: true, mode: 0o700 });
      await removeLeftovers(join(dir, kind), options.leftoverAgeMs ?? 600_000);
    }
  } catch (err) {
    throw ioError('create the state directory', dir, err);
  }
  const lockPath = join(dir, '.lock');
  const hooks = options.writeHooks ?? {};

  function pathOf(kind: StoreKind, name: string): string {
    // Names are validated by the schemas above; this guard keeps the backend safe on its own.
    if (!SAFE_NAME.test(name)) throw new GatehouseError('GH_ERR_USAGE', `invalid ${kind} name '${name}'`);
    return join(dir, kind, `${name}.json`);
  }

  async function readRecord(kind: StoreKind, name: string, path: string): Promise<StoredRecord | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw ioError('read', path, err);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new GatehouseError('GH_ERR_STORE_CORRUPT', `${path}: not valid JSON (${(err as Error).message})`, {
        cause: err,
      });
    }
    return { kind, name, revision: revisionOf(text), value, source: path };
  }

  async function checkRevision(kind: StoreKind, name: string, expected: string): Promise<void> {
    const current = await readRecord(kind, name, pathOf(kind, name));
    if (current === undefined) throw new GatehouseError('GH_ERR_STORE_NOT_FOUND', `${kind}/${name} no longer exists`);
    if (current.revision !== expected) {
      throw new GatehouseError('GH_ERR_STORE_CONFLICT', `${kind}/${name} changed since it was read; retry`);
    }
  }

  // Reentrant per async flow: a compare-and-swap inside a multi-object operation reuses the lock.
  const holding = new AsyncLocalStorage<true>();
  async function withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (holding.getStore()) return fn();
    return withLockFile(lockPath, options.lock ?? {}, () => holding.run(true, fn));
  }

  async function put(kind: StoreKind, name: string, value: unknown, expectedRevision?: string): Promise<StoredRecord> {
    const path = pathOf(kind, name);
    const text = serialize(value);
    const write = async (): Promise<StoredRecord> => {
      if (expectedRevision !== undefined) await checkRevision(kind, name, expectedRevision);
      try {
        await writeFileAtomic(path, text, hooks);
      } catch (err) {
        throw ioError('write', path, err);
      }
      return { kind, name, revision: revisionOf(text), value, source: path };
    };
    return expectedRevision === undefined ? write() : withLock(write);
  }

  async function remove(kind: StoreKind, name: string, expectedRevision?: string): Promise<boolean> {
    const path = pathOf(kind, name);
    const run = async (): Promise<boolean> => {
      if (expectedRevision !== undefined) await checkRevision(kind, name, expectedRevision);
      try {
        await unlink(path);
        return true;
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return false;
        throw ioError('delete', path, err);
      }
    };
    return expectedRevision === undefined ? run() : withLock(run);
  }

  async function version(): Promise<string> {
    // A directory's mtime changes with every create, rename and unlink in it, which is every write.
    const parts: string[] = [];
    for (const kind of STORE_KINDS) {
      const s = await stat(join(dir, kind), { bigint: true });
      parts.push(`${s.mtimeNs}:${s.ino}`);
    }
    return parts.join('/');
  }

  return {
    get: (kind, name) => readRecord(kind, name, pathOf(kind, name)),

    async list(kind) {
      let entries: string[];
      try {
        entries = await readdir(join(dir, kind));
      } catch (err) {
        throw ioError('list', join(dir, kind), err);
      }
      const out: StoredRecord[] = [];
      for (const entry of entries.sort()) {
        if (entry.startsWith('.') || !entry.endsWith('.json')) continue;
        const name = entry.slice(0, -'.json'.length);
        const record = await readRecord(kind, name, join(dir, kind, entry));
        if (record) out.push(record);
      }
      return out;
    },

    async create(kind, name, value) {
      const path = pathOf(kind, name);
      const text = serialize(value);
      let created: boolean;
      try {
        created = await createFileAtomic(path, text, hooks);
      } catch (err) {
        throw ioError('create', path, err);
      }
      return created ? { kind, name, revision: revisionOf(text), value, source: path } : undefined;
    },

    put,
    delete: remove,

    async take(kind, name) {
      const path = pathOf(kind, name);
      // rename(2) is atomic: of several takers only one moves the file; the rest see ENOENT.
      const aside = join(dir, kind, `.${name}.taken.${randomBytes(6).toString('hex')}`);
      try {
        await rename(path, aside);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return undefined;
        throw ioError('take', path, err);
      }
      try {
        const record = await readRecord(kind, name, aside);
        return record && { ...record, source: path };
      } finally {
        await unlink(aside).catch(() => undefined);
      }
    },

    withLock,
    version,

    watch(onChange, watchOptions = {}): StoreWatch {
      let last = watchOptions.since;
      let busy = false;
      if (last === undefined) {
        version()
          .then((v) => {
            last ??= v;
          })
          .catch(() => undefined);
      }
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        version()
          .then((v) => {
            if (last !== undefined && v !== last) onChange();
            last = v;
          })
          .catch(() => undefined)
          .finally(() => {
            busy = false;
          });
      }, watchOptions.intervalMs ?? 1_000);
      timer.unref();
      return { close: () => clearInterval(timer) };
    },

    async close() {},
  };
}
