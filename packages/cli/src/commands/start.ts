// `gatehouse start [--config FILE]`: runs every part the config enables until SIGTERM/SIGINT,
// then drains (the proxy stops accepting, open sessions get a grace period) and exits 0.
// SIGHUP re-reads the config file: an invalid file is logged and the running config kept; what
// can change live is applied (service/reload-plan.ts), the rest is logged as needing a restart.
import { createLogger, loadConfig } from '@gatehouse/common';
import type { Command } from '../command.js';
import { optionalString } from '../output.js';
import { createReloader } from '../service/config-reloader.js';
import { runServices } from '../service/run-services.js';

const DRAIN_GRACE_MS = 10_000;

export const startCommand: Command = {
  name: 'start',
  summary: 'run the parts the config enables (no config: auth, proxy and engine in one process)',
  usage: '[--config gatehouse.yaml]',
  options: { config: { type: 'string' } },
  async run(ctx) {
    const configFile = optionalString(ctx, 'config');
    const config = await loadConfig(configFile);
    const log = createLogger({ level: config.log.level, name: 'gatehouse' });
    const services = await runServices(config, log);
    log.info(
      {
        auth: config.auth.enabled,
        proxy: services.proxy ? `${services.proxy.mysqlAddress.host}:${services.proxy.mysqlAddress.port}` : false,
        engine: services.engine?.engineId ?? false,
        dataDir: config.data_dir,
      },
      'gatehouse started',
    );
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        log.info({ signal, graceMs: DRAIN_GRACE_MS }, 'draining');
        services.close(DRAIN_GRACE_MS).then(resolve, (err) => {
          log.error({ err }, 'error while stopping');
          resolve();
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const reload = createReloader(configFile, config, log, services);
      process.on('SIGHUP', () => {
        if (!stopping) reload();
      });
    });
    log.info('gatehouse stopped');
    return 0;
  },
};
