// Engines as an operator sees them (`gatectl engine ls`, the per-engine gauges): an engine's
// session workers register apart (`ID#i`) but are one engine, so they are merged into one row:
// draining when any of them is, with the sessions of all of them.
import type { EngineState } from '@gatehouse/tunnel';
import type { EngineEntry } from './engine-registry.js';
import { engineOfId } from './peer-identity.js';

export interface EngineListing {
  readonly engineId: string;
  /** Where each of its tunnels comes from ("in-process" for an engine in the proxy's process). */
  readonly addresses: readonly string[];
  readonly state: EngineState;
  readonly databases: readonly string[];
  /** Session streams open to it now. */
  readonly sessions: number;
  /** Tunnels: 1, or one per session worker. */
  readonly tunnels: number;
  readonly version: string;
}

export function listEngines(entries: Iterable<EngineEntry>): EngineListing[] {
  const rows = new Map<
    string,
    {
      addresses: Set<string>;
      draining: boolean;
      databases: Set<string>;
      sessions: number;
      tunnels: number;
      version: string;
    }
  >();
  for (const e of entries) {
    if (e.connection.closed) continue;
    const id = engineOfId(e.engineId);
    let row = rows.get(id);
    if (row === undefined) {
      row = {
        addresses: new Set(),
        draining: false,
        databases: new Set(),
        sessions: 0,
        tunnels: 0,
        version: e.version,
      };
      rows.set(id, row);
    }
    row.addresses.add(e.remoteAddress);
    if (e.state === 'draining') row.draining = true;
    for (const name of e.databases.keys()) row.databases.add(name);
    row.sessions += e.connection.streamCount;
    row.tunnels++;
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([engineId, r]) => ({
      engineId,
      addresses: [...r.addresses].sort(),
      state: r.draining ? 'draining' : 'serving',
      databases: [...r.databases].sort(),
      sessions: r.sessions,
      tunnels: r.tunnels,
      version: r.version,
    }));
}
