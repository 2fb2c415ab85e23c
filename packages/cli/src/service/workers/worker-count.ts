// proxy.workers / engine.workers → the number of session worker processes, and what each runs
// (docs/architecture.md "Session workers", docs/scale-out.md "Workers in the split shape").
import { availableParallelism } from 'node:os';
import { type GatehouseConfig, GatehouseError } from '@gatehouse/common';

function resolve(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * What a session worker runs:
 * - `one-process`: a proxy front door and an engine joined in memory (proxy and engine here);
 * - `proxy`: a front door and a tunnel listener of its own that engines of other processes dial;
 * - `engine`: an engine with its own tunnels to the proxies and its own spool.
 */
export type WorkerShape = 'one-process' | 'proxy' | 'engine';

export interface WorkerPlan {
  readonly shape: WorkerShape;
  /** 1: no workers, the sessions run in the process itself. */
  readonly count: number;
}

/** How many session workers this process runs, and of which shape. */
export function sessionWorkerPlan(config: Readonly<GatehouseConfig>): WorkerPlan {
  const proxy = config.proxy.enabled ? resolve(config.proxy.workers) : 1;
  const engine = config.engine.enabled ? resolve(config.engine.workers) : 1;
  if (config.proxy.enabled && config.engine.enabled) {
    // One worker runs both: its front door hands each session to its own relays.
    if (proxy !== engine && proxy !== 1 && engine !== 1) {
      throw new GatehouseError(
        'GH_ERR_CONFIG',
        `proxy.workers (${proxy}) and engine.workers (${engine}) differ: in one process each worker runs both parts; set one of them`,
      );
    }
    return { shape: 'one-process', count: Math.max(proxy, engine) };
  }
  if (config.proxy.enabled) return { shape: 'proxy', count: proxy };
  if (config.engine.enabled && engine > 1 && config.auth.enabled) {
    // An engine beside an auth part but no proxy reads the auth state in memory; its workers
    // would each need that state and a tunnel of their own: not a shape anyone deploys.
    throw new GatehouseError(
      'GH_ERR_CONFIG',
      'engine.workers above 1 needs the engine alone in its process (or with the proxy); this one also runs auth without a proxy',
    );
  }
  return { shape: 'engine', count: engine };
}

/** The number of session workers only (1: none). */
export function sessionWorkerCount(config: Readonly<GatehouseConfig>): number {
  return sessionWorkerPlan(config).count;
}
