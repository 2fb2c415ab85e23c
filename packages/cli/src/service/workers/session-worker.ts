// One session worker (a child process of `gatehouse start` with proxy.workers > 1): a proxy front
// door that binds nothing and runs the client sockets its supervisor hands it, and an engine
// joined to it in memory, as in the one-process shape. It reads the cluster state itself (the
// store and the CAs, live, like any auth reader), so locks and role changes reach it directly;
// its audit events go through its own spool to the supervisor, the one writer of the chain.
// Signals are the supervisor's to handle: a worker drains when told to, or when its supervisor
// is gone.

import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type AppendResult, type AuditStore, openClusterState } from '@gatehouse/auth';
import { createLogger, createMetricsRegistry, type GatehouseConfig } from '@gatehouse/common';
import { createEngine, createInProcessCluster, openAuditSpool } from '@gatehouse/engine';
import { startProxy } from '@gatehouse/proxy';
import { VERSION } from '../../version.js';
import { applyReload } from '../apply-reload.js';
import { planReload } from '../reload-plan.js';
import { startSnapshots } from '../run-services.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

type StartMessage = Extract<ToWorker, { type: 'start' }>;

function tell(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

/** An audit store whose append() is the supervisor's, acked over IPC. */
function supervisorAudit(): {
  store: Pick<AuditStore, 'append'>;
  settle(message: Extract<ToWorker, { type: 'audit-done' }>): void;
} {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (r: AppendResult) => void; reject: (e: Error) => void }>();
  return {
    store: {
      append(events, options) {
        if (!process.connected) return Promise.reject(new Error('the supervisor is gone; events stay in the spool'));
        const id = ++nextId;
        return new Promise<AppendResult>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          const validated = options?.validated === true;
          const canonical = options?.canonical;
          tell(
            canonical !== undefined && canonical.length === events.length
              ? { type: 'audit', id, validated, canonical }
              : { type: 'audit', id, validated, events },
          );
        });
      },
    },
    settle(message) {
      const wait = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error !== undefined) wait?.reject(new Error(message.error));
      else if (message.result !== undefined) wait?.resolve(message.result);
    },
  };
}

export async function runSessionWorker(start: StartMessage): Promise<void> {
  const { config, index, count } = start;
  const log = createLogger({ level: config.log.level, name: 'gatehouse' }).child({ worker: index });
  // Ctrl-C reaches the whole process group; the supervisor decides when workers drain.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

  const state = await openClusterState({ dataDir: config.data_dir, storage: config.storage });
  const authorities = await state.openAuthorities();
  const stopWatching = state.watchAuthorities(() => {
    authorities.reload().catch((err: unknown) => log.warn({ err }, 'could not reload the CAs'));
  });
  const audit = supervisorAudit();
  const proxyRegistry = createMetricsRegistry();
  const engineRegistry = createMetricsRegistry();
  const proxyLog = log.child({ part: 'proxy' });
  const proxy = await startProxy({
    config: config.proxy,
    authorities,
    store: state.store,
    audit: audit.store,
    log: proxyLog,
    ...(config.proxy.name ? { proxyId: config.proxy.name } : {}),
    registry: proxyRegistry,
    workers: { role: 'worker', firstConnectionId: index + 1, step: count, ticketKey: start.ticketKey },
  });
  const engineLog = log.child({ part: 'engine' });
  const engineId = config.engine.name ?? `engine-${hostname()}`;
  // Each worker has its own spool: one writer per spool file, and a restarted worker replays
  // what its predecessor at the same index left.
  const spool = await openAuditSpool({
    dir: join(config.data_dir, 'audit-spool', `worker-${index}`),
    sync: config.audit.spool_sync,
  });
  const engine = await createEngine({
    config: { ...config.engine, name: engineId },
    log: engineLog,
    cluster: createInProcessCluster({
      store: state.store,
      authorities,
      auditStore: audit.store,
      spool,
      log: engineLog,
    }),
    connectInProcess: () => proxy.tunnel.connectInProcess(engineId),
    version: VERSION,
    queryMaxBytes: config.audit.query_max_bytes,
    queryEvents: config.audit.query_events,
    registry: engineRegistry,
    diag: false,
    commandLatency: config.engine.command_latency_metrics,
  });
  // `gatectl db ls` reads one snapshot per proxy; the first worker's registry stands for all.
  const stopSnapshots = index === 0 ? startSnapshots(config, proxy, log) : undefined;

  let running: Readonly<GatehouseConfig> = config;
  let reloads = Promise.resolve();
  let draining: Promise<void> | undefined;
  const drain = (graceMs: number): Promise<void> => {
    draining ??= (async () => {
      log.info({ graceMs }, 'session worker draining');
      stopSnapshots?.();
      await Promise.all([proxy.close({ graceMs }), engine.close({ graceMs })]);
      stopWatching();
      await state.close();
      log.info('session worker stopped');
    })();
    return draining;
  };

  process.on('message', (message: ToWorker, handle: unknown) => {
    switch (message.type) {
      case 'socket': {
        const socket = handle as Socket | undefined;
        if (socket === undefined) {
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
        proxy.credentials.rotateTicketKey(message.key);
        break;
      case 'metrics':
        void Promise.all([proxyRegistry.getMetricsAsJSON(), engineRegistry.getMetricsAsJSON()]).then(([p, e]) =>
          tell({ type: 'metrics', id: message.id, proxy: p, engine: e }),
        );
        break;
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
  log.info({ pid: process.pid, index, count }, 'session worker ready');
  tell({ type: 'ready' });
}
