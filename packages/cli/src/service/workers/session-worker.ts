// One session worker (a child process of `gatehouse start` with proxy.workers or engine.workers
// above 1): it runs the parts of its shape (worker-parts.ts) and answers its supervisor's
// messages: client sockets, reloads, ticket keys, metrics, the Live page, drain. Signals are the
// supervisor's to handle: a worker drains when told to, or when its supervisor is gone.
import type { Socket } from 'node:net';
import { createLogger, type GatehouseConfig, isGatehouseError } from '@gatehouse/common';
import { applyReload } from '../apply-reload.js';
import { planReload } from '../reload-plan.js';
import { startEngineWorker } from './engine-worker.js';
import { startOneProcessWorker } from './one-process-worker.js';
import { startProxyWorker } from './proxy-worker.js';
import { createSupervisorAudit } from './supervisor-audit.js';
import type { FromWorker, ToWorker } from './worker-messages.js';
import type { StartMessage, WorkerContext, WorkerParts } from './worker-parts.js';

function tell(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

function startParts(context: WorkerContext): Promise<WorkerParts> {
  switch (context.start.shape) {
    case 'one-process':
      return startOneProcessWorker(context);
    case 'proxy':
      return startProxyWorker(context);
    case 'engine':
      return startEngineWorker(context);
  }
}

export async function runSessionWorker(start: StartMessage): Promise<void> {
  const { config, index, count } = start;
  const log = createLogger({ level: config.log.level, name: 'gatehouse' }).child({ worker: index });
  // Ctrl-C reaches the whole process group; the supervisor decides when workers drain.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

  const audit = createSupervisorAudit(tell);
  const parts = await startParts({ start, config, log, audit: audit.store });
  const { proxy, engine } = parts;

  let running: Readonly<GatehouseConfig> = config;
  let reloads = Promise.resolve();
  let draining: Promise<void> | undefined;
  const drain = (graceMs: number): Promise<void> => {
    draining ??= (async () => {
      log.info({ graceMs }, 'session worker draining');
      await parts.close(graceMs);
      log.info('session worker stopped');
    })();
    return draining;
  };

  process.on('message', (message: ToWorker, handle: unknown) => {
    switch (message.type) {
      case 'socket': {
        const socket = handle as Socket | undefined;
        if (socket === undefined || proxy === undefined) {
          socket?.destroy();
          tell({ type: 'closed', id: message.id });
          break;
        }
        socket.once('close', () => tell({ type: 'closed', id: message.id }));
        proxy.adopt(socket, message.unixPath, message.serverVersion);
        break;
      }
      case 'audit-done':
        audit.settle(message);
        break;
      case 'ticket-key':
        proxy?.credentials.rotateTicketKey(message.key);
        break;
      case 'metrics':
        void Promise.all([parts.proxyRegistry?.getMetricsAsJSON(), parts.engineRegistry?.getMetricsAsJSON()]).then(
          ([p, e]) =>
            tell({
              type: 'metrics',
              id: message.id,
              ...(p !== undefined ? { proxy: p } : {}),
              ...(e ? { engine: e } : {}),
            }),
        );
        break;
      case 'live':
        tell({ type: 'live', id: message.id, sessions: proxy?.liveSessions() ?? [] });
        break;
      case 'terminate': {
        const { id, sid, by, reason } = message;
        const found = proxy?.liveSessions().some((s) => s.sid === sid) === true;
        if (!found || proxy === undefined) {
          tell({ type: 'terminated', id });
          break;
        }
        proxy.terminateLiveSession(sid, by, reason).then(
          ({ via }) => tell({ type: 'terminated', id, via }),
          (err: unknown) =>
            tell({
              type: 'terminated',
              id,
              error: {
                code: isGatehouseError(err) ? err.code : 'GH_ERR_INTERNAL',
                message: err instanceof Error ? err.message : String(err),
              },
            }),
        );
        break;
      }
      case 'reload': {
        const next = message.config;
        reloads = reloads
          .then(async () => {
            const plan = planReload(running, next);
            running = plan.effective;
            await applyReload({ log, services: { proxy, engine } }, plan);
          })
          .catch((err: unknown) => log.error({ err }, 'config reload failed in the session worker'));
        break;
      }
      case 'drain':
        void drain(message.graceMs).finally(() => process.exit(0));
        break;
      case 'start':
        break;
    }
  });
  // The supervisor died without telling us: close what is open; spooled events wait on disk.
  process.once('disconnect', () => {
    void drain(0).finally(() => process.exit(0));
  });
  log.info(
    { pid: process.pid, index, count, shape: start.shape, tunnelAddr: parts.tunnelAddr },
    'session worker ready',
  );
  tell({ type: 'ready', ...(parts.tunnelAddr !== undefined ? { tunnelAddr: parts.tunnelAddr } : {}) });
}
