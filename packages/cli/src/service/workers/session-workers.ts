// The supervisor of proxy.workers / engine.workers session workers: forks one child process per
// worker, hands each client socket the proxy admitted to the worker with the fewest live
// connections, and is the one writer of the audit chain for all of them (workers send their
// spooled events here). It relays SIGHUP reloads and ticket keys, gathers the workers' metrics
// and live sessions, restarts a worker that dies, and on close drains every worker before the
// audit store may close. docs/architecture.md "Session workers".
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AppendResult, AuditStore } from '@gatehouse/auth';
import type { AuditEvent, GatehouseConfig, Logger } from '@gatehouse/common';
import { GatehouseError } from '@gatehouse/common';
import type { MetricsJson } from '@gatehouse/common/metrics';
import type { LiveSessionView, ProxyWorkerRole } from '@gatehouse/proxy';
import type { WorkerShape } from './worker-count.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

export interface SessionWorkersOptions {
  readonly config: Readonly<GatehouseConfig>;
  readonly count: number;
  readonly shape: WorkerShape;
  readonly log: Logger;
  /**
   * The one audit store of this process; every worker's events are appended here, in arrival
   * order. Absent (an engine process): the workers send theirs over their own tunnels.
   */
  readonly audit?: Pick<AuditStore, 'append'>;
  /** A proxy worker of the split shape is up (again) with its tunnel listener at `addr`. */
  readonly onTunnel?: (index: number, addr: string) => void;
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
  /** The tunnel listeners of proxy workers of the split shape, by worker index. */
  tunnelAddrs(): ReadonlyMap<number, string>;
  /** Sends a reloaded config to every worker; each applies its own plan against it. */
  reload(config: Readonly<GatehouseConfig>): void;
  /** Drains every worker (`graceMs` for its sessions) and waits until each has exited. */
  close(graceMs: number): Promise<void>;
}

const TICKET_KEY_LIFETIME_MS = 60 * 60_000;
/** How long the supervisor waits for a worker's metrics or live sessions. */
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
  tunnelAddr?: string;
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
  /** Replies awaited from workers (metrics, live sessions, terminate), by request id. */
  const waits = new Map<number, (reply: FromWorker | undefined) => void>();
  const slots: WorkerSlot[] = [];

  const send = (slot: WorkerSlot, message: ToWorker): void => {
    if (slot.child.connected) slot.child.send(message);
  };

  const onMessage = (slot: WorkerSlot, message: FromWorker): void => {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        if (message.tunnelAddr !== undefined) {
          slot.tunnelAddr = message.tunnelAddr;
          options.onTunnel?.(slot.index, message.tunnelAddr);
        }
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
        if (options.audit === undefined) {
          send(slot, { type: 'audit-done', id: message.id, error: 'this process has no audit store' });
          break;
        }
        appendFromWorker(options.audit, message).then(
          (result) => send(slot, { type: 'audit-done', id: message.id, result }),
          (err: unknown) =>
            send(slot, { type: 'audit-done', id: message.id, error: err instanceof Error ? err.message : String(err) }),
        );
        break;
      case 'metrics':
      case 'live':
      case 'terminated':
        waits.get(message.id)?.(message);
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
    child.send({
      type: 'start',
      shape: options.shape,
      config: config as GatehouseConfig,
      index,
      count,
      ticketKey,
    } satisfies ToWorker);
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

  /** Asks every ready worker; a worker that does not answer within 5 s is left out. */
  const ask = async <T extends FromWorker['type']>(
    request: (id: number) => ToWorker,
    replyType: T,
  ): Promise<Extract<FromWorker, { type: T }>[]> => {
    const replies = await Promise.all(
      slots.map(
        (slot) =>
          new Promise<FromWorker | undefined>((resolve) => {
            if (!slot.ready || !slot.child.connected) return resolve(undefined);
            const id = ++nextId;
            const timer = setTimeout(() => done(undefined), METRICS_TIMEOUT_MS);
            const done = (reply: FromWorker | undefined): void => {
              clearTimeout(timer);
              waits.delete(id);
              resolve(reply);
            };
            waits.set(id, done);
            send(slot, request(id));
          }),
      ),
    );
    return replies.filter((r): r is Extract<FromWorker, { type: T }> => r?.type === replyType);
  };
  const gather = () => ask((id) => ({ type: 'metrics', id }), 'metrics');
  const present = (m: MetricsJson | undefined): m is MetricsJson => m !== undefined;

  const live = {
    list: async (): Promise<LiveSessionView[]> =>
      (await ask((id) => ({ type: 'live', id }), 'live'))
        .flatMap((r) => r.sessions)
        .sort((a, b) => a.started.localeCompare(b.started)),
    async terminate(sid: string, by: string, reason: string) {
      const replies = await ask((id) => ({ type: 'terminate', id, sid, by, reason }), 'terminated');
      const failed = replies.find((r) => r.error !== undefined)?.error;
      const ended = replies.find((r) => r.via !== undefined);
      if (ended?.via !== undefined) return { via: ended.via };
      if (failed !== undefined) throw new GatehouseError(failed.code as 'GH_ERR_WORKER', failed.message);
      throw new GatehouseError('GH_ERR_WEB_SESSION_NOT_FOUND', `no live session '${sid}' on this proxy`);
    },
  };

  return {
    count,
    proxyRole: {
      role: 'supervisor',
      handOff,
      metrics: async () => (await gather()).map((r) => r.proxy).filter(present),
      live,
    },
    engineMetrics: async () => (await gather()).map((r) => r.engine).filter(present),
    allReady: () => slots.every((s) => s.ready),
    tunnelAddrs: () =>
      new Map(slots.flatMap((s) => (s.tunnelAddr !== undefined && s.ready ? [[s.index, s.tunnelAddr] as const] : []))),
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
