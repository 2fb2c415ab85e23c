// Runs the hooks of `engine.hooks` in a worker thread with a time budget per call.
// A call that runs over the budget fails (the session is denied) and the worker is terminated
// and replaced, since a synchronous loop cannot be interrupted any other way; calls in flight on
// the old worker fail too. A reload (SIGHUP) loads the modules in a fresh worker and swaps it in
// only once every module imported, so a broken edit leaves the running hooks in place.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { EngineError } from '../errors.js';
import type { HookName, HookOutcome } from './hook-types.js';

export interface HookCounters {
  calls: number;
  denied: number;
  failed: number;
  timedOut: number;
}

export interface HookRunner {
  /** Whether any module is configured (no module: no worker, and run() is not needed). */
  readonly active: boolean;
  /**
   * Whether some loaded module exports `hook`: a session asks before each command, so that a
   * command costs nothing when no module has a command hook. Kept across a worker restart.
   */
  has(hook: HookName): boolean;
  readonly counters: HookCounters;
  /** Told how long each call took, however it ended (the metrics' hook-time histogram). */
  observeTime: ((hook: HookName, seconds: number) => void) | undefined;
  /**
   * Runs `hook` of every module in order, with `arg` as its second argument (onCommand's
   * command, onResult's summary); throws GH_ERR_ENGINE_HOOK_FAILED on error or timeout.
   */
  run(hook: HookName, ctx: object, arg?: object): Promise<HookOutcome>;
  /** Loads `files` afresh; on failure keeps the running hooks and throws. */
  reload(files: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  resolve(outcome: HookOutcome): void;
  reject(err: Error): void;
}

interface Loaded {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** The hooks some module exports. */
  readonly hooks: ReadonlySet<HookName>;
}

function failed(hook: string, message: string): EngineError {
  return new EngineError('GH_ERR_ENGINE_HOOK_FAILED', `${hook} hook failed: ${message}`, {
    errno: 1105,
    sqlState: 'HY000',
  });
}

const WORKER_URL = new URL('./hook-worker.js', import.meta.url);

export async function createHookRunner(options: {
  readonly files: readonly string[];
  readonly timeoutMs: number;
  readonly log: Logger;
}): Promise<HookRunner> {
  const log = options.log.child({ component: 'hooks' });
  const counters: HookCounters = { calls: 0, denied: 0, failed: 0, timedOut: 0 };
  let files = [...options.files];
  let generation = 0;
  let nextId = 1;
  let current: Loaded | undefined;
  let exported: ReadonlySet<HookName> = new Set();
  /** Resolves when a worker replacing a terminated one is ready (or could not start). */
  let restarting: Promise<void> | undefined;
  let closed = false;

  const spawn = async (list: readonly string[]): Promise<Loaded> => {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const pending = new Map<number, Pending>();
    const failAll = (why: string): void => {
      for (const p of pending.values()) p.reject(new Error(why));
      pending.clear();
    };
    worker.on('error', (err) => {
      log.error({ err }, 'hook worker failed');
      failAll(`the hook worker failed: ${err.message}`);
    });
    worker.on('exit', () => failAll('the hook worker was restarted'));
    const hooks = await new Promise<ReadonlySet<HookName>>((resolve, reject) => {
      const onMessage = (msg: { kind: string; ok: boolean; message?: string; hooks?: HookName[] }): void => {
        if (msg.kind !== 'loaded') return;
        worker.off('message', onMessage);
        if (msg.ok) resolve(new Set(msg.hooks));
        else reject(new Error(msg.message ?? 'hook modules failed to load'));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.postMessage({ kind: 'load', files: list, generation: ++generation });
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw new EngineError('GH_ERR_ENGINE_HOOK_FAILED', `cannot load engine.hooks: ${(err as Error).message}`, {
        errno: 1105,
        sqlState: 'HY000',
      });
    });
    worker.on(
      'message',
      (msg: { kind: string; id: number; ok: boolean; outcome?: HookOutcome; module?: string; message?: string }) => {
        if (msg.kind !== 'result') return;
        const p = pending.get(msg.id);
        if (p === undefined) return;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.outcome!);
        else p.reject(new Error(`${msg.module} threw: ${msg.message}`));
      },
    );
    return { worker, pending, hooks };
  };

  const restart = (): void => {
    const old = current;
    current = undefined;
    void old?.worker.terminate();
    if (closed || files.length === 0) return;
    restarting = spawn(files)
      .then(
        (fresh) => {
          if (closed || current !== undefined) void fresh.worker.terminate();
          else current = fresh;
        },
        (err: unknown) => log.error({ err }, 'hook worker could not be restarted'),
      )
      .finally(() => {
        restarting = undefined;
      });
  };

  if (files.length > 0) {
    current = await spawn(files);
    exported = current.hooks;
  }

  const runner: HookRunner = {
    get active() {
      return files.length > 0;
    },
    has(hook) {
      return exported.has(hook);
    },
    counters,
    observeTime: undefined,
    async run(hook, ctx, arg) {
      counters.calls++;
      const started = performance.now();
      const timed = (): void => runner.observeTime?.(hook, (performance.now() - started) / 1000);
      if (current === undefined && restarting !== undefined) await restarting;
      const loaded = current;
      if (loaded === undefined) {
        counters.failed++;
        throw failed(hook, 'the hook worker could not be started');
      }
      const id = nextId++;
      return new Promise<HookOutcome>((resolve, reject) => {
        const timer = setTimeout(() => {
          loaded.pending.delete(id);
          counters.timedOut++;
          timed();
          log.warn({ hook, timeoutMs: options.timeoutMs }, 'hook ran over its time budget; restarting the hook worker');
          reject(failed(hook, `ran over its ${options.timeoutMs} ms budget`));
          if (current === loaded) restart();
        }, options.timeoutMs);
        loaded.pending.set(id, {
          resolve: (outcome) => {
            clearTimeout(timer);
            timed();
            if (outcome.deny !== undefined) counters.denied++;
            resolve(outcome);
          },
          reject: (err) => {
            clearTimeout(timer);
            timed();
            counters.failed++;
            log.warn({ hook, err }, 'hook failed');
            reject(failed(hook, err.message));
          },
        });
        loaded.worker.postMessage({ kind: 'call', id, hook, ctx, arg });
      });
    },
    async reload(next) {
      if (next.length === 0) {
        files = [];
        exported = new Set();
        restart();
        return;
      }
      const fresh = await spawn(next);
      const old = current;
      current = fresh;
      exported = fresh.hooks;
      files = [...next];
      // Calls in flight on the old worker finish there.
      if (old !== undefined) setTimeout(() => void old.worker.terminate(), options.timeoutMs).unref();
    },
    async close() {
      closed = true;
      await current?.worker.terminate();
      current = undefined;
    },
  };
  return runner;
}
