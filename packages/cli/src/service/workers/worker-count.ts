// proxy.workers / engine.workers → the number of session worker processes, and the shapes that
// run them (docs/architecture.md "Workers").
import { availableParallelism } from 'node:os';
import { type GatehouseConfig, GatehouseError } from '@gatehouse/common';

function resolve(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * How many session workers this process runs (1: none, sessions run in the process itself).
 * A worker holds a front door and the relays behind it, joined in memory, so workers need the
 * proxy and the engine in this process; other shapes refuse a count above 1.
 */
export function sessionWorkerCount(config: Readonly<GatehouseConfig>): number {
  const proxy = config.proxy.enabled ? resolve(config.proxy.workers) : 1;
  const engine = config.engine.enabled ? resolve(config.engine.workers) : 1;
  if (proxy === 1 && engine === 1) return 1;
  if (!config.proxy.enabled || !config.engine.enabled) {
    throw new GatehouseError(
      'GH_ERR_CONFIG',
      `${config.proxy.enabled ? 'proxy' : 'engine'}.workers above 1 needs the proxy and the engine in the same process (the split shape runs one worker each, for now)`,
    );
  }
  // One worker runs both: its front door hands each session to its own relays.
  if (proxy !== engine && proxy !== 1 && engine !== 1) {
    throw new GatehouseError(
      'GH_ERR_CONFIG',
      `proxy.workers (${proxy}) and engine.workers (${engine}) differ: in one process each worker runs both parts; set one of them`,
    );
  }
  return Math.max(proxy, engine);
}
