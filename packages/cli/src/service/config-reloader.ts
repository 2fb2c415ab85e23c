// SIGHUP: one reload at a time, in signal order; each compares the file with the config in force
// and applies what can change live (reload-plan.ts). Session workers get the new config too.
import { type GatehouseConfig, isGatehouseError, type Logger, loadConfig } from '@gatehouse/common';
import { applyReload } from './apply-reload.js';
import { planReload } from './reload-plan.js';
import type { RunningServices } from './run-services.js';

export function createReloader(
  configFile: string | undefined,
  initial: Readonly<GatehouseConfig>,
  log: Logger,
  services: RunningServices,
): () => void {
  let running = initial;
  let queue = Promise.resolve();
  const reloadOnce = async (): Promise<void> => {
    if (configFile === undefined) {
      log.info('SIGHUP: no --config file to reload; roles, users and locks are always read live');
      return;
    }
    log.info({ config: configFile }, 'SIGHUP: reloading the config');
    let next: Readonly<GatehouseConfig>;
    try {
      next = await loadConfig(configFile);
    } catch (err) {
      // The message carries zod's path and reason for each problem.
      log.error({ err, config: configFile }, 'config reload failed; keeping the running config');
      return;
    }
    const plan = planReload(running, next);
    running = plan.effective;
    // The workers plan against the same config in force, so they reach the same effective one.
    services.workers?.reload(next);
    await applyReload({ log, services }, plan);
  };
  return () => {
    queue = queue.then(reloadOnce).catch((err: unknown) => {
      log.error({ err, code: isGatehouseError(err) ? err.code : undefined }, 'config reload failed');
    });
  };
}
