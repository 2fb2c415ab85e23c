// What a SIGHUP reload may change in a running process, worked out from the running config and
// the file as it is now. Only a few settings apply live (DESIGN.md "Config": databases, limits;
// plus the log level and the audit switch); every other difference needs a restart and is
// reported, never half-applied. Roles, users and locks are not in the file: they are read live.
import type { DatabaseConfig, GatehouseConfig, ProxyConfig } from '@gatehouse/common';

export type ReloadChange =
  | { readonly kind: 'log-level'; readonly level: GatehouseConfig['log']['level'] }
  | { readonly kind: 'proxy-limits'; readonly limits: ProxyConfig['limits'] }
  | { readonly kind: 'query-events'; readonly on: boolean }
  | { readonly kind: 'hooks'; readonly files: readonly string[] }
  | {
      readonly kind: 'databases';
      readonly databases: readonly DatabaseConfig[];
      readonly added: readonly string[];
      readonly removed: readonly string[];
      readonly changed: readonly string[];
    };

export interface ReloadPlan {
  /** What to apply, in this order. */
  readonly changes: readonly ReloadChange[];
  /** Dotted paths that differ but only take effect after a restart; ignored until then. */
  readonly needsRestart: readonly string[];
  /** The config in force once `changes` are applied: the old one with only the live settings replaced. */
  readonly effective: Readonly<GatehouseConfig>;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Dotted paths of the leaves that differ; arrays compare whole. */
export function listChangedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(a) || !isObject(b)) return same(a, b) ? [] : [prefix];
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out.push(...listChangedPaths(a[key], b[key], prefix === '' ? key : `${prefix}.${key}`));
  }
  return out;
}

function isLive(path: string): boolean {
  return (
    path === 'log.level' ||
    path.startsWith('proxy.limits.') ||
    path === 'audit.query_events' ||
    path === 'engine.databases' ||
    path === 'engine.hooks'
  );
}

function diffDatabases(before: readonly DatabaseConfig[], after: readonly DatabaseConfig[]) {
  const old = new Map(before.map((db) => [db.name, db]));
  const now = new Map(after.map((db) => [db.name, db]));
  return {
    added: after.filter((db) => !old.has(db.name)).map((db) => db.name),
    removed: before.filter((db) => !now.has(db.name)).map((db) => db.name),
    changed: after.filter((db) => old.has(db.name) && !same(old.get(db.name), db)).map((db) => db.name),
  };
}

/**
 * Compares the running config with a freshly loaded one. A live setting of a part this process
 * does not run (proxy limits with the proxy disabled) is taken into `effective` but needs no action.
 */
export function planReload(running: Readonly<GatehouseConfig>, next: Readonly<GatehouseConfig>): ReloadPlan {
  const paths = listChangedPaths(running, next);
  const needsRestart = paths.filter((p) => !isLive(p));
  const changes: ReloadChange[] = [];
  if (running.log.level !== next.log.level) changes.push({ kind: 'log-level', level: next.log.level });
  if (running.proxy.enabled && !same(running.proxy.limits, next.proxy.limits)) {
    changes.push({ kind: 'proxy-limits', limits: next.proxy.limits });
  }
  if (running.engine.enabled && running.audit.query_events !== next.audit.query_events) {
    changes.push({ kind: 'query-events', on: next.audit.query_events });
  }
  // Hook modules are re-imported on every SIGHUP: their files may have changed, not only the list.
  if (running.engine.enabled && (running.engine.hooks.length > 0 || next.engine.hooks.length > 0)) {
    changes.push({ kind: 'hooks', files: next.engine.hooks });
  }
  if (running.engine.enabled && !same(running.engine.databases, next.engine.databases)) {
    changes.push({
      kind: 'databases',
      databases: next.engine.databases,
      ...diffDatabases(running.engine.databases, next.engine.databases),
    });
  }
  const effective: GatehouseConfig = {
    ...running,
    log: { ...running.log, level: next.log.level },
    proxy: { ...running.proxy, limits: next.proxy.limits },
    audit: { ...running.audit, query_events: next.audit.query_events },
    engine: { ...running.engine, databases: next.engine.databases, hooks: next.engine.hooks },
  };
  return { changes, needsRestart, effective };
}
