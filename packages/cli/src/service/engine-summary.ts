// `gatectl engine ls`: every live proxy's view of the engines connected to it (the registry
// snapshots under <data_dir>/run), merged into one row per engine: draining when any proxy last
// heard it say so, with the sessions of all of them (each proxy, and each proxy session worker,
// relays sessions of its own).
import type { ConnectedEngine, RegistrySnapshot } from './registry-snapshot.js';

export interface EngineRow {
  readonly id: string;
  readonly state: 'serving' | 'draining';
  readonly sessions: number;
  readonly databases: readonly string[];
  readonly version: string;
  /** Each proxy the engine keeps a tunnel to, and what it sees there. */
  readonly proxies: readonly {
    readonly proxyId: string;
    readonly addresses: readonly string[];
    readonly state: 'serving' | 'draining';
    readonly sessions: number;
  }[];
}

export function summarizeEngines(snapshots: readonly RegistrySnapshot[]): EngineRow[] {
  const byId = new Map<string, { views: (ConnectedEngine & { proxyId: string })[] }>();
  for (const snapshot of snapshots) {
    for (const e of snapshot.engines ?? []) {
      let row = byId.get(e.engineId);
      if (row === undefined) {
        row = { views: [] };
        byId.set(e.engineId, row);
      }
      row.views.push({ ...e, proxyId: snapshot.proxyId });
    }
  }
  return [...byId.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, { views }]) => {
      // A proxy's session workers each wrote a file under the same proxy id: one entry per proxy.
      const proxies = new Map<string, EngineRow['proxies'][number]>();
      for (const v of views) {
        const seen = proxies.get(v.proxyId);
        proxies.set(v.proxyId, {
          proxyId: v.proxyId,
          addresses: [...new Set([...(seen?.addresses ?? []), ...v.addresses])].sort(),
          state: seen?.state === 'draining' || v.state === 'draining' ? 'draining' : 'serving',
          sessions: (seen?.sessions ?? 0) + v.sessions,
        });
      }
      const list = [...proxies.values()].sort((a, b) => a.proxyId.localeCompare(b.proxyId));
      return {
        id,
        state: list.some((p) => p.state === 'draining') ? 'draining' : 'serving',
        sessions: list.reduce((n, p) => n + p.sessions, 0),
        databases: [...new Set(views.flatMap((v) => v.databases))].sort(),
        version: views[0]?.version ?? '',
        proxies: list,
      };
    });
}
