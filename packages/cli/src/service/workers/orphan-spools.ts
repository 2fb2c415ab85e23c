// Audit spools no running engine writes: a spool of a worker index above this run's worker count
// (the count was lowered), the spools of all workers when the process now runs without them,
// and the process's own spool when it now runs with them. Each is delivered to the store once
// at start, by the engine that takes it over, then removed: no event waits for a worker index
// that may never come back (docs/audit.md "The engine's spool").
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent, GatehouseConfig, Logger } from '@gatehouse/common';
import { type AuditSpool, openAuditSpool, type SpoolRead, startSpoolForwarder } from '@gatehouse/engine';

const WORKER_DIR = /^worker-(\d+)$/;

function spoolRoot(config: Readonly<GatehouseConfig>): string {
  return join(config.data_dir, 'audit-spool');
}

/** Session worker `index`'s own spool: one writer per spool file. */
export function openWorkerSpool(config: Readonly<GatehouseConfig>, index: number): Promise<AuditSpool> {
  return openAuditSpool({ dir: join(spoolRoot(config), `worker-${index}`), sync: config.audit.spool_sync });
}

/**
 * The orphan spools an engine takes over. `owner`: worker `index` of `count` takes worker dirs
 * k ≥ count with k mod count = index (worker 0 also the process's own spool, from a run without
 * workers); `main` (no workers) takes every worker dir.
 */
export async function orphanSpoolDirs(
  config: Readonly<GatehouseConfig>,
  owner: { readonly index: number; readonly count: number } | 'main',
): Promise<{ dir: string; own: boolean }[]> {
  const root = spoolRoot(config);
  const names = await readdir(root).catch(() => [] as string[]);
  const dirs: { dir: string; own: boolean }[] = [];
  for (const name of names.sort()) {
    const match = WORKER_DIR.exec(name);
    if (match === null) continue;
    const k = Number(match[1]);
    if (owner === 'main' || (k >= owner.count && k % owner.count === owner.index))
      dirs.push({ dir: join(root, name), own: false });
  }
  if (owner !== 'main' && owner.index === 0) dirs.push({ dir: root, own: true });
  return dirs;
}

export interface OrphanSpoolDrainOptions {
  readonly config: Readonly<GatehouseConfig>;
  /** This engine's place: a worker's index and count, or `main` for a process without workers. */
  readonly index?: number;
  readonly count?: number;
  /** Stores a batch (as the engine's own spool pipeline does); resolves once stored. */
  readonly send: (events: readonly AuditEvent[], read: SpoolRead) => Promise<void>;
  readonly log: Logger;
}

export interface OrphanSpoolDrain {
  /** Resolves when every orphan spool has been delivered and removed. */
  readonly done: Promise<void>;
  /** Stops delivering; what is left stays on disk for the next start. */
  close(): Promise<void>;
}

async function hasSpool(dir: string): Promise<boolean> {
  return (await stat(join(dir, 'spool.jsonl')).catch(() => undefined)) !== undefined;
}

export function startOrphanSpoolDrain(options: OrphanSpoolDrainOptions): OrphanSpoolDrain {
  const { config, log } = options;
  let stopping: (() => Promise<void>) | undefined;
  let closed = false;
  let signalClosed: () => void = () => {};
  const closedSignal = new Promise<void>((resolve) => {
    signalClosed = resolve;
  });
  const owner =
    options.index === undefined || options.count === undefined
      ? ('main' as const)
      : { index: options.index, count: options.count };
  const done = (async () => {
    for (const { dir, own } of await orphanSpoolDirs(config, owner)) {
      if (closed) return;
      if (!(await hasSpool(dir))) {
        if (!own) await rm(dir, { recursive: true, force: true });
        continue;
      }
      const spool = await openAuditSpool({ dir, sync: config.audit.spool_sync });
      const pending = spool.pendingBytes();
      const forwarder = startSpoolForwarder({
        spool,
        send: options.send,
        onError: (err) => log.debug({ err, dir }, 'orphan audit spool: delivery failed; retrying'),
      });
      let stopped: Promise<void> | undefined;
      stopping = () => {
        stopped ??= forwarder.stop().then(() => spool.close());
        return stopped;
      };
      if (pending > 0) log.info({ dir, bytes: pending }, 'delivering an audit spool no engine writes any more');
      // A store that stays down keeps the events here until close(): then they wait for the next start.
      await Promise.race([forwarder.drained(), closedSignal]);
      await stopping();
      stopping = undefined;
      if (closed) return;
      if (own) {
        await rm(join(dir, 'spool.jsonl'), { force: true });
        await rm(join(dir, 'spool.ack'), { force: true });
      } else {
        await rm(dir, { recursive: true, force: true });
      }
      if (pending > 0) log.info({ dir }, 'orphan audit spool delivered and removed');
    }
  })().catch((err: unknown) => log.warn({ err }, 'orphan audit spools: left on disk for the next start'));
  return {
    done,
    async close() {
      closed = true;
      signalClosed();
      await stopping?.();
      await done;
    },
  };
}
