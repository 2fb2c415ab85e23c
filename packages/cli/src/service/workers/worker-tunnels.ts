// The split shape's proxy process with workers: each worker's tunnel listener is registered in
// the store as a proxy of the cluster (`<proxy id>.w<i>`), renewed every 10 s with a 30 s TTL,
// so engines keep one tunnel per worker, exactly as they keep one per proxy of a scale-out
// cluster (docs/scale-out.md). A restarted worker re-registers at once (its port may be new).
import type { Store } from '@gatehouse/auth';
import type { Logger } from '@gatehouse/common';

const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TTL_MS = 30_000;

export interface WorkerTunnels {
  /** Worker `index` listens for tunnels at `addr` (now, or again after a restart). */
  register(index: number, addr: string): void;
  /** Stops renewing and removes every worker's record. */
  close(): Promise<void>;
}

export function workerProxyId(proxyId: string, index: number): string {
  return `${proxyId}.w${index}`;
}

export function startWorkerTunnels(
  store: Pick<Store, 'registerProxy' | 'removeProxy'>,
  proxyId: string,
  log: Logger,
): WorkerTunnels {
  const addrs = new Map<number, string>();
  const beat = (index: number, addr: string): void => {
    store
      .registerProxy({ id: workerProxyId(proxyId, index), tunnelAddr: addr, ttlMs: HEARTBEAT_TTL_MS })
      .catch((err: unknown) => log.warn({ err, worker: index }, 'worker tunnel heartbeat failed'));
  };
  const timer = setInterval(() => {
    for (const [index, addr] of addrs) beat(index, addr);
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    register(index, addr) {
      addrs.set(index, addr);
      beat(index, addr);
      log.info({ worker: index, tunnelAddr: addr }, 'worker tunnel registered in the cluster');
    },
    async close() {
      clearInterval(timer);
      await Promise.all(
        [...addrs.keys()].map((index) => store.removeProxy(workerProxyId(proxyId, index)).catch(() => {})),
      );
    },
  };
}
