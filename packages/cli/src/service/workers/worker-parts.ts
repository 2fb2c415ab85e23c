// What one session worker runs, by shape (worker-count.ts): a front door and an engine joined in
// memory (one process), a front door with a tunnel listener of its own (split shape, proxy), or an
// engine with its own tunnels (split shape, engine). The message loop (session-worker.ts) is the
// same for all three.
import { type AuditStore, type Authorities, type ClusterState, openClusterState } from '@gatehouse/auth';
import type { GatehouseConfig, Logger } from '@gatehouse/common';
import type { Engine } from '@gatehouse/engine';
import type { RunningProxy } from '@gatehouse/proxy';
import type { Registry } from 'prom-client';
import { VERSION } from '../../version.js';
import type { ToWorker } from './worker-messages.js';

export type StartMessage = Extract<ToWorker, { type: 'start' }>;

export interface WorkerContext {
  readonly start: StartMessage;
  readonly config: Readonly<GatehouseConfig>;
  readonly log: Logger;
  /** The supervisor's audit store (over IPC): events of this worker's sessions and engines. */
  readonly audit: Pick<AuditStore, 'append'>;
}

export interface WorkerParts {
  readonly proxy: RunningProxy | undefined;
  readonly engine: Engine | undefined;
  readonly proxyRegistry: Registry | undefined;
  readonly engineRegistry: Registry | undefined;
  /** A proxy worker of the split shape: host:port where engines reach its tunnel listener. */
  readonly tunnelAddr?: string;
  /** Drains: the sessions get `graceMs`, then everything this worker opened is closed. */
  close(graceMs: number): Promise<void>;
}

/**
 * A worker reads the cluster state itself (the store and the CAs, live, like any auth reader),
 * so locks, role changes and CA rotations reach it directly.
 */
export async function openWorkerState(
  config: Readonly<GatehouseConfig>,
  log: Logger,
): Promise<{ state: ClusterState; authorities: Authorities; close(): Promise<void> }> {
  const state = await openClusterState({ dataDir: config.data_dir, storage: config.storage });
  const authorities = await state.openAuthorities();
  const stopWatching = state.watchAuthorities(() => {
    authorities.reload().catch((err: unknown) => log.warn({ err }, 'could not reload the CAs'));
  });
  return {
    state,
    authorities,
    async close() {
      stopWatching();
      await state.close();
    },
  };
}

/** What every worker's engine takes from the config: its diagnostics are the supervisor's. */
export function workerEngineOptions(config: Readonly<GatehouseConfig>, registry: Registry) {
  return {
    version: VERSION,
    queryMaxBytes: config.audit.query_max_bytes,
    queryEvents: config.audit.query_events,
    registry,
    diag: false,
    commandLatency: config.engine.command_latency_metrics,
  } as const;
}
