// Each running proxy writes what its engines registered to <data_dir>/run/proxy-<id>.json, so
// `gatectl db ls` can show databases, their engines, health and versions without a network
// round trip. Files from proxies that stopped updating them are ignored as stale.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@gatehouse/auth';
import { z } from 'zod';

const BackendRowSchema = z.object({
  uri: z.string(),
  role: z.string(),
  health: z.string(),
  healthMessage: z.string().optional(),
  serverVersion: z.string(),
  readOnly: z.boolean().optional(),
  lagSeconds: z.number().nullable().optional(),
  galeraState: z.string().optional(),
  weight: z.number(),
});

const EngineRowSchema = z.strictObject({
  engineId: z.string(),
  health: z.enum(['healthy', 'unhealthy', 'unknown']),
  serverVersion: z.string(),
  labels: z.record(z.string(), z.string()),
  /** The TLS protocol and cipher negotiated with the database, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384". */
  tls: z.string().optional(),
  /** The engine's monitor view of each backend (engines from before backends send none). */
  backends: z.array(BackendRowSchema).optional(),
});
export type BackendRow = z.infer<typeof BackendRowSchema>;

/** One engine connected to the proxy, for `gatectl engine ls` (its session workers merged). */
const ConnectedEngineSchema = z.strictObject({
  engineId: z.string(),
  /** Where its tunnels come from: host addresses, or "in-process". */
  addresses: z.array(z.string()),
  state: z.enum(['serving', 'draining']),
  databases: z.array(z.string()),
  /** Session streams this proxy has open to it. */
  sessions: z.number().int().min(0),
  tunnels: z.number().int().min(0),
  version: z.string(),
});
export type ConnectedEngine = z.infer<typeof ConnectedEngineSchema>;

export const RegistrySnapshotSchema = z.strictObject({
  proxyId: z.string(),
  pid: z.number().int(),
  updatedAt: z.iso.datetime(),
  databases: z.array(z.strictObject({ name: z.string(), engines: z.array(EngineRowSchema) })),
  /** Absent from proxies that predate `gatectl engine ls`. */
  engines: z.array(ConnectedEngineSchema).optional(),
});
export type RegistrySnapshot = z.infer<typeof RegistrySnapshotSchema>;

/** How often a proxy rewrites its snapshot, and after how long a reader calls it stale. */
export const SNAPSHOT_INTERVAL_MS = 2_000;
export const SNAPSHOT_STALE_MS = 15_000;

export function runDir(dataDir: string): string {
  return join(dataDir, 'run');
}

/** `fileId`: the file's name, when it is not the proxy's id (each session worker writes its own). */
export async function writeRegistrySnapshot(
  dataDir: string,
  snapshot: RegistrySnapshot,
  fileId = snapshot.proxyId,
): Promise<void> {
  const dir = runDir(dataDir);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, `proxy-${fileId}.json`), `${JSON.stringify(snapshot, null, 2)}\n`);
}

/** Every fresh, valid snapshot in the data dir; unreadable or stale files are skipped. */
export async function readRegistrySnapshots(dataDir: string, now = Date.now()): Promise<RegistrySnapshot[]> {
  const dir = runDir(dataDir);
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const snapshots: RegistrySnapshot[] = [];
  for (const name of names) {
    if (!/^proxy-.+\.json$/.test(name)) continue;
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    let parsed: ReturnType<typeof RegistrySnapshotSchema.safeParse>;
    try {
      parsed = RegistrySnapshotSchema.safeParse(JSON.parse(text));
    } catch {
      continue;
    }
    if (!parsed.success) continue;
    if (now - Date.parse(parsed.data.updatedAt) > SNAPSHOT_STALE_MS) continue;
    snapshots.push(parsed.data);
  }
  return snapshots;
}

export interface DatabaseRow {
  readonly name: string;
  /** healthy when any engine reports it healthy. */
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  readonly serverVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  /** What TLS each engine negotiates with the database, distinct values joined; '' without TLS. */
  readonly tls: string;
  readonly engines: readonly { engineId: string; health: string; proxyId: string; tls?: string }[];
  /** Each backend as each engine's monitor sees it. */
  readonly backends: readonly (BackendRow & { engineId: string })[];
}

/** Merges every proxy's view into one row per database. */
export function summarizeDatabases(snapshots: readonly RegistrySnapshot[]): DatabaseRow[] {
  const rows = new Map<
    string,
    {
      labels: Record<string, string>;
      versions: string[];
      tls: string[];
      engines: DatabaseRow['engines'][number][];
      backends: DatabaseRow['backends'][number][];
    }
  >();
  for (const snapshot of snapshots) {
    for (const db of snapshot.databases) {
      let row = rows.get(db.name);
      if (!row) {
        row = { labels: {}, versions: [], tls: [], engines: [], backends: [] };
        rows.set(db.name, row);
      }
      for (const e of db.engines) {
        Object.assign(row.labels, e.labels);
        if (e.serverVersion) row.versions.push(e.serverVersion);
        if (e.tls) row.tls.push(e.tls);
        if (!row.engines.some((x) => x.engineId === e.engineId)) {
          row.engines.push({
            engineId: e.engineId,
            health: e.health,
            proxyId: snapshot.proxyId,
            ...(e.tls ? { tls: e.tls } : {}),
          });
          for (const b of e.backends ?? []) row.backends.push({ ...b, engineId: e.engineId });
        }
      }
    }
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, row]) => {
      const health = row.engines.some((e) => e.health === 'healthy')
        ? 'healthy'
        : row.engines.some((e) => e.health === 'unhealthy')
          ? 'unhealthy'
          : 'unknown';
      return {
        name,
        health,
        serverVersion: [...new Set(row.versions)].join(', '),
        labels: row.labels,
        tls: [...new Set(row.tls)].join(', '),
        engines: row.engines,
        backends: row.backends,
      };
    });
}
