// The supervisor of proxy.workers / engine.workers session workers: forks one child process per
// worker, hands each client socket the proxy admitted to the worker with the fewest live
// connections, and is the one writer of the audit chain for all of them (workers send their
// spooled events here). It relays SIGHUP reloads and ticket keys, gathers the workers' metrics,
// and on close drains every worker before the audit store may close. docs/architecture.md "Workers".
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AppendResult, AuditStore } from '@gatehouse/auth';
import type { AuditEvent, GatehouseConfig, Logger, MetricsJson } from '@gatehouse/common';
import { GatehouseError } from '@gatehouse/common';
import type { ProxyWorkerRole } from '@gatehouse/proxy';
import type { FromWorker, ToWorker } from './worker-messages.js';

export interface SessionWorkersOptions {
  readonly config: Readonly<GatehouseConfig>;
  readonly count: number;
  readonly log: Logger;
  /** The one audit store of this process; every worker's events are appended here, in arrival order. */
  readonly audit: Pick<AuditStore, 'append'>;
  /** How long a ticket key seals tickets (default one hour, as a lone proxy's). */
  readonly ticketKeyLifetimeMs?: number;
}

export interface SessionWorkers {
  readonly count: number;
  /** The proxy's part: hand sockets to the workers, add their metrics to the proxy's. */
  readonly proxyRole: ProxyWorkerRole;
  /** The workers' engine registries, for the engine's diagnostics listener. */
  engineMetrics(): Promise<readonly MetricsJson[]>;
  /** Whether every worker is up (for /readyz). */
  allReady(): boolean;
  /** Sends a reloaded config to every worker; each applies its own plan against it. */
  reload(config: Readonly<GatehouseConfig>): void;
  /** Drains every worker (`graceMs` for its sessions) and waits until each has exited. */
  close(graceMs: number): Promise<void>;
}

const TICKET_KEY_LIFETIME_MS = 60 * 60_000;
const METRICS_TIMEOUT_MS = 5_000;
/** A worker that dies is started again after this, doubled while it keeps dying young. */
const RESTART_DELAY_MS = 500;
const RESTART_DELAY_MAX_MS = 30_000;
/** A worker that ran this long before it died is restarted after the first delay again. */
const STABLE_AFTER_MS = 60_000;
const WORKER_MAIN = new URL('./session-worker-main.js', import.meta.url);

interface WorkerSlot {
  readonly index: number;
  child: ChildProcess;
  ready: boolean;
  live: number;
  startedAt: number;
  restartDelayMs: number;
  /** Sockets handed over and not yet reported closed: id → release. */
  readonly pending: Map<number, () => void>;
}

/** Appends a worker's batch; canonical JSON is parsed back into the events it was written from. */
function appendFromWorker(
  audit: Pick<AuditStore, 'append'>,
  message: Extract<FromWorker, { type: 'audit' }>,
): Promise<AppendResult> {
  if ('events' in message) return audit.append(message.events, { validated: message.validated });
  const events = message.canonical.map((line) => JSON.parse(line) as AuditEvent);
  return audit.append(events, { validated: message.validated, canonical: message.canonical });
}

export async function startSessionWorkers(options: SessionWorkersOptions): Promise<SessionWorkers> {
  const { config, count, log } = options;
  let ticketKey = randomBytes(48);
  let closing = false;
  let nextId = 0;
  let lastPicked = -1;
  const metricWaits = new Map<number, (reply: { proxy: MetricsJson; engine: MetricsJson } | undefined) => void>();
  const slots: WorkerSlot[] = [];

  const send = (slot: WorkerSlot, message: ToWorker): void => {
    if (slot.child.connected) slot.child.send(message);
  };

  const onMessage = (slot: WorkerSlot, message: FromWorker): void => {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        break;
      case 'failed':
        log.error({ worker: slot.index, reason: message.message }, 'session worker failed to start');
        break;
      case 'closed': {
        const release = slot.pending.get(message.id);
        slot.pending.delete(message.id);
        release?.();
        break;
      }
      case 'audit':
        appendFromWorker(options.audit, message).then(
          (result) => send(slot, { type: 'audit-done', id: message.id, result }),
          (err: unknown) =>
            send(slot, { type: 'audit-done', id: message.id, error: err instanceof Error ? err.message : String(err) }),
        );
        break;
      case 'metrics':
        metricWaits.get(message.id)?.({ proxy: message.proxy, engine: message.engine });
        break;
    }
  };

  const spawn = (index: number): Promise<WorkerSlot> => {
    const child = fork(WORKER_MAIN, [], { serialization: 'advanced', stdio: 'inherit' });
    const slot: WorkerSlot = slots[index] ?? {
      index,
      child,
      ready: false,
      live: 0,
      startedAt: 0,
      restartDelayMs: RESTART_DELAY_MS,
      pending: new Map(),
    };
    slot.child = child;
    slot.ready = false;
    slot.startedAt = Date.now();
    slots[index] = slot;
    child.on('message', (message: FromWorker) => onMessage(slot, message));
    child.send({ type: 'start', config: config as GatehouseConfig, index, count, ticketKey } satisfies ToWorker);
    const started = new Promise<WorkerSlot>((resolve, reject) => {
      const onFirst = (message: FromWorker): void => {
        if (message.type === 'ready') {
          child.off('message', onFirst);
          child.off('exit', onEarlyExit);
          resolve(slot);
        } else if (message.type === 'failed') {
          reject(new GatehouseError('GH_ERR_WORKER', `session worker ${index} could not start: ${message.message}`));
        }
      };
      const onEarlyExit = (code: number | null, signal: string | null): void =>
        reject(
          new GatehouseError(
            'GH_ERR_WORKER',
            `session worker ${index} exited while starting (code ${code}, signal ${signal})`,
          ),
        );
      child.on('message', onFirst);
      child.once('exit', onEarlyExit);
    });
    child.once('exit', (code, signal) => {
      slot.ready = false;
      // Its connections are gone with it: free their limit slots.
      for (const release of slot.pending.values()) release();
      slot.pending.clear();
      if (closing) return;
      // A worker that cannot start (a bad spool, a full disk) must not be forked in a tight loop.
      slot.restartDelayMs =
        Date.now() - slot.startedAt >= STABLE_AFTER_MS
          ? RESTART_DELAY_MS
          : Math.min(slot.restartDelayMs * 2, RESTART_DELAY_MAX_MS);
      const delayMs = slot.restartDelayMs;
      log.error({ worker: index, code, signal, restartInMs: delayMs }, 'session worker exited; starting a new one');
      const timer = setTimeout(() => {
        if (closing) return;
        spawn(index).catch((err: unknown) => log.error({ err, worker: index }, 'could not restart the session worker'));
      }, delayMs);
      timer.unref();
    });
    return started;
  };

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => spawn(i)));
  } catch (err) {
    closing = true;
    for (const slot of slots) slot?.child.kill('SIGKILL');
    throw err;
  }
  log.info({ workers: count, pids: slots.map((s) => s.child.pid) }, 'session workers started');

  // One key for all workers, so a ticket from one resumes on another; rotated for all at once.
  const ticketTimer = setInterval(() => {
    ticketKey = randomBytes(48);
    for (const slot of slots) send(slot, { type: 'ticket-key', key: ticketKey });
  }, options.ticketKeyLifetimeMs ?? TICKET_KEY_LIFETIME_MS);
  ticketTimer.unref();

  /** The ready worker with the fewest live connections; ties go round-robin. */
  const pick = (): WorkerSlot | undefined => {
    let best: WorkerSlot | undefined;
    for (let k = 1; k <= slots.length; k++) {
      const slot = slots[(lastPicked + k) % slots.length]!;
      if (!slot.ready || !slot.child.connected) continue;
      if (best === undefined || slot.live < best.live) best = slot;
    }
    if (best !== undefined) lastPicked = best.index;
    return best;
  };

  const handOff = (socket: Socket, unixPath: string | undefined, serverVersion: string | undefined): Promise<void> => {
    const slot = pick();
    if (slot === undefined) return Promise.reject(new GatehouseError('GH_ERR_WORKER', 'no session worker is ready'));
    const id = ++nextId;
    slot.live++;
    return new Promise<void>((resolve, reject) => {
      slot.pending.set(id, () => {
        slot.live--;
        resolve();
      });
      const message: ToWorker = {
        type: 'socket',
        id,
        ...(unixPath === undefined ? {} : { unixPath }),
        ...(serverVersion === undefined ? {} : { serverVersion }),
      };
      slot.child.send(message, socket, (err) => {
        if (err === null || err === undefined) return;
        slot.pending.delete(id);
        slot.live--;
        reject(err);
      });
    });
  };

  const gather = async (): Promise<{ proxy: MetricsJson; engine: MetricsJson }[]> => {
    const replies = await Promise.all(
      slots.map(
        (slot) =>
          new Promise<{ proxy: MetricsJson; engine: MetricsJson } | undefined>((resolve) => {
            if (!slot.ready || !slot.child.connected) return resolve(undefined);
            const id = ++nextId;
            const timer = setTimeout(() => done(undefined), METRICS_TIMEOUT_MS);
            const done = (reply: { proxy: MetricsJson; engine: MetricsJson } | undefined): void => {
              clearTimeout(timer);
              metricWaits.delete(id);
              resolve(reply);
            };
            metricWaits.set(id, done);
            send(slot, { type: 'metrics', id });
          }),
      ),
    );
    return replies.filter((r) => r !== undefined);
  };

  return {
    count,
    proxyRole: {
      role: 'supervisor',
      handOff,
      metrics: async () => (await gather()).map((r) => r.proxy),
    },
    engineMetrics: async () => (await gather()).map((r) => r.engine),
    allReady: () => slots.every((s) => s.ready),
    reload(next) {
      for (const slot of slots) send(slot, { type: 'reload', config: next as GatehouseConfig });
    },
    async close(graceMs) {
      closing = true;
      clearInterval(ticketTimer);
      await Promise.all(
        slots.map((slot) => {
          const child = slot.child;
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          send(slot, { type: 'drain', graceMs });
          return exited;
        }),
      );
      log.info({ workers: count }, 'session workers stopped');
    },
  };
}
