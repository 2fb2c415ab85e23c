// Where an idle session's memory goes, per gateway process: RSS, the V8 heap, memory V8 knows
// is held outside it (external, of which ArrayBuffers), and the rest (native: OpenSSL, libuv,
// Node's own C++ objects), from process.memoryUsage() after a full GC at N and 2N idle mysql2
// sessions; then heap snapshots at 2N and 3N, diffed by constructor, for what the JS heap holds
// per session. Figures for docs/performance.md ("Memory per idle session (issue 13)").
// Run: npm run bench:idle-breakdown -w bench -- [gatehouse-1proc|gatehouse-2proc] [N] [--no-snapshots]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { startBenchDb } from './bench-db.js';
import { waitFor } from './child.js';
import { diffHeapSummaries, summarizeHeapSnapshot } from './idle/heap-snapshot.js';
import { createSessionFactory, type SessionFactory } from './mysql-client.js';
import { readRssKiB, readSettledRssKiB } from './proc-stats.js';
import { SHORT_PROFILE } from './profile.js';

const args = process.argv.slice(2);
const shape = (args.find((a) => a.startsWith('gatehouse-')) ?? 'gatehouse-1proc') as
  | 'gatehouse-1proc'
  | 'gatehouse-2proc';
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 700);
const snapshots = !args.includes('--no-snapshots');

const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-idle-'));
const probeDir = join(workDir, 'probe');
mkdirSync(probeDir);
const probe = pathToFileURL(fileURLToPath(new URL('./idle/memory-probe.js', import.meta.url))).href;
// Read when targets/gatehouse.js loads, hence the dynamic import below.
process.env.BENCH_GATEHOUSE_NODE_ARGS = `--expose-gc --import ${probe}`;
process.env.BENCH_PROBE_DIR = probeDir;
const { createGatehouseTarget } = await import('./targets/gatehouse.js');

interface Usage {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}
interface ProbeReport {
  readonly usage: Usage;
  readonly snapshot?: string;
}

const taken = new Map<number, number>();
/** Signals every process to GC and report; resolves with each one's report (in `pids` order). */
async function probeAll(pids: readonly number[], withSnapshot: boolean): Promise<ProbeReport[]> {
  if (withSnapshot) writeFileSync(join(probeDir, 'snapshot'), '');
  else rmSync(join(probeDir, 'snapshot'), { force: true });
  const reports: ProbeReport[] = [];
  for (const pid of pids) {
    const k = taken.get(pid) ?? 0;
    taken.set(pid, k + 1);
    const file = join(probeDir, `${pid}-${k}.json`);
    process.kill(pid, 'SIGUSR2');
    await waitFor(() => existsSync(file), 300_000, `the memory probe of ${pid}`);
    reports.push(JSON.parse(readFileSync(file, 'utf8')) as ProbeReport);
  }
  return reports;
}

async function openSessions(factory: SessionFactory, count: number, into: Connection[]): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      next++;
      const conn = await factory.open();
      into.push(conn);
      await conn.query('SELECT 1');
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker));
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

const target = createGatehouseTarget(shape);
const dir = join(workDir, shape);
mkdirSync(dir);
const { trustPems } = await target.prepare({ dir });
const db = await startBenchDb(trustPems, SHORT_PROFILE);
const sessions: Connection[] = [];
try {
  const endpoint = await target.start(db.info);
  const pids = target.pids();
  const names = shape === 'gatehouse-2proc' ? ['proxy', 'engine'] : ['gateway'];
  const factory = createSessionFactory(endpoint);
  // The first N warm everything up (code, pools, caches): N → 2N is what a session adds.
  await openSessions(factory, n, sessions);
  const at1 = await probeAll(pids, false);
  const rss1 = pids.map((p) => readRssKiB(p) ?? 0);
  await openSessions(factory, n, sessions);
  await readSettledRssKiB(pids);
  const at2 = await probeAll(pids, false);
  const rss2 = pids.map((p) => readRssKiB(p) ?? 0);
  console.log(`## ${shape}: per idle session, from ${n} to ${2 * n} sessions (after a full GC)\n`);
  console.log(
    '| process | RSS | V8 heap used | V8 heap committed | external (all) | of which ArrayBuffers | native not known to V8 (RSS − committed − external) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  pids.forEach((_, i) => {
    const a = at1[i]!.usage;
    const b = at2[i]!.usage;
    const rss = ((rss2[i]! - rss1[i]!) * 1024) / n;
    const committed = (b.heapTotal - a.heapTotal) / n;
    const external = (b.external - a.external) / n;
    console.log(
      `| ${names[i]} | ${kib(rss)} | ${kib((b.heapUsed - a.heapUsed) / n)} | ${kib(committed)} | ${kib(external)} | ${kib((b.arrayBuffers - a.arrayBuffers) / n)} | ${kib(rss - committed - external)} |`,
    );
  });
  if (snapshots) {
    // Snapshots from here on: writing one grows the RSS, so the figures above come first.
    const s2 = await probeAll(pids, true);
    await openSessions(factory, n, sessions);
    const s3 = await probeAll(pids, true);
    pids.forEach((_, i) => {
      const before = summarizeHeapSnapshot(s2[i]!.snapshot!);
      const after = summarizeHeapSnapshot(s3[i]!.snapshot!);
      const diff = diffHeapSummaries(before, after);
      const total = diff.reduce((sum, g) => sum + g.bytes, 0);
      console.log(
        `\n### ${names[i]}: JS heap per session by constructor, ${2 * n} → ${3 * n} sessions: ${kib(total / n)} KiB\n`,
      );
      console.log('| what (type:name) | objects per session | bytes per session |');
      console.log('|---|---:|---:|');
      for (const g of diff.slice(0, 45))
        console.log(`| ${g.key.replace(/\|/g, '\\|')} | ${(g.count / n).toFixed(2)} | ${(g.bytes / n).toFixed(0)} |`);
    });
    console.log(`\nsnapshots kept in ${probeDir}`);
  }
} finally {
  for (const c of sessions) c.destroy();
  await target.stop();
  await db.db.stop();
  if (!snapshots) rmSync(workDir, { recursive: true, force: true });
}
