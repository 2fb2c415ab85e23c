// What one session worker runs, by shape (worker-count.ts): a front door and an engine joined in
// memory (one process), a front door with a tunnel listener of its own (split shape, proxy), or an
// engine with its own tunnels (split shape, engine). The message loop (session-worker.ts) is the
// same for all three.
import type { AuditStore } from '@gatehouse/auth';
import type { GatehouseConfig, Logger } from '@gatehouse/common';
import type { Engine } from '@gatehouse/engine';
import type { RunningProxy } from '@gatehouse/proxy';
import type { Registry } from 'prom-client';
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
