// `npm run bench`: one MariaDB, every target side by side, every measurement, one table of
// absolute figures and ratios to direct. See docs/performance.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchDb, startBenchDb } from './bench-db.js';
import { describeCommit, describeMachine, describeSysbench } from './machine.js';
import { measureAuditCost } from './measures/audit-cost.js';
import { measureBulkRead, measureBulkWrite } from './measures/bulk.js';
import { errorText, type LiveTarget, type MeasureContext } from './measures/context.js';
import { measureHooksCost } from './measures/hooks-cost.js';
import { measureMetricsCost } from './measures/metrics-cost.js';
import { measureConnectRate, measureIdleMemory } from './measures/sessions.js';
import { createSysbenchTlsDir, measureSysbench, prepareSysbenchTables } from './measures/sysbench.js';
import { type BenchOptions, BenchUsageError, type MeasureName, parseBenchOptions, USAGE } from './options.js';
import { FULL_PROFILE, SHORT_PROFILE } from './profile.js';
import { renderReport } from './report.js';
import { createResults, type Results } from './results.js';
import { createDirectTarget } from './targets/direct.js';
import { createGatehouseTarget } from './targets/gatehouse.js';
import { type ClientTls, type ExtraTargetName, type Target, TargetUnavailableError } from './targets/target.js';
import { createTcpRelayTarget } from './targets/tcp-relay.js';
import { createTlsRelayTarget } from './targets/tls-relay.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_RESULTS = join(REPO_ROOT, 'bench', 'results.md');

const MEASURES: Record<MeasureName, (ctx: MeasureContext, results: Results) => Promise<void>> = {
  sysbench: measureSysbench,
  'bulk-read': measureBulkRead,
  'bulk-write': measureBulkWrite,
  'idle-memory': measureIdleMemory,
  'connect-rate': measureConnectRate,
  audit: measureAuditCost,
  metrics: measureMetricsCost,
  hooks: measureHooksCost,
};

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function buildTargets(options: BenchOptions, directTls: () => ClientTls, db: () => BenchDb): Target[] {
  return options.targets.map((name) => {
    switch (name) {
      case 'direct':
        return createDirectTarget(directTls);
      case 'tcp-relay':
        return createTcpRelayTarget(directTls);
      case 'tls-relay':
        return createTlsRelayTarget(directTls, () => db().issueServerCert('tls-relay'));
      default:
        return createGatehouseTarget(name);
    }
  });
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), DEFAULT_RESULTS);
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const profile = options.short ? SHORT_PROFILE : FULL_PROFILE;
  const machine = describeMachine();
  const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const results = createResults();
  const unavailable = new Map<string, string>();
  let benchDb: BenchDb | undefined;
  const started: Target[] = [];
  let stopping = false;

  const cleanup = async (): Promise<void> => {
    for (const t of started.splice(0).reverse())
      await t.stop().catch((err) => log(`stopping ${t.name}: ${errorText(err)}`));
    await benchDb?.db.stop();
    benchDb = undefined;
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    log(`work directory ${workDir}${options.keep ? ' (kept)' : ''}`);
    let directTls: ClientTls | undefined;
    const tlsOf = (): ClientTls => {
      if (!directTls) throw new Error('the bench database is not up yet');
      return directTls;
    };
    const dbOf = (): BenchDb => {
      if (!benchDb) throw new Error('the bench database is not up yet');
      return benchDb;
    };
    const targets = buildTargets(options, tlsOf, dbOf);
    const wantsAudit = options.only.includes('audit') && options.targets.includes('gatehouse-1proc');
    const wantsDbResume = options.only.includes('connect-rate') && options.targets.includes('gatehouse-1proc');
    const wantsMetrics = options.only.includes('metrics') && options.targets.includes('gatehouse-1proc');
    const wantsHooks = options.only.includes('hooks') && options.targets.includes('gatehouse-1proc');
    const extras = new Map<ExtraTargetName, Target>();
    if (wantsAudit) {
      for (const n of [
        'gatehouse-1proc-noaudit',
        'gatehouse-1proc-sync-batch',
        'gatehouse-1proc-sync-always',
        'gatehouse-1proc-writer-thread',
      ] as const) {
        extras.set(n, createGatehouseTarget(n));
      }
    }
    if (wantsDbResume) {
      extras.set('gatehouse-1proc-nodbresume', createGatehouseTarget('gatehouse-1proc-nodbresume'));
      extras.set('gatehouse-1proc-autouser', createGatehouseTarget('gatehouse-1proc-autouser'));
    }
    if (wantsMetrics) extras.set('gatehouse-1proc-nometrics', createGatehouseTarget('gatehouse-1proc-nometrics'));
    if (wantsHooks) {
      for (const n of ['gatehouse-1proc-hooks-connect', 'gatehouse-1proc-hooks-command'] as const)
        extras.set(n, createGatehouseTarget(n));
    }

    // Gatehouse's CAs exist before MariaDB starts, because MariaDB reads its ssl-ca at startup.
    const trust: string[] = [];
    for (const t of [...targets, ...extras.values()]) {
      const dir = join(workDir, t.name);
      mkdirSync(dir, { recursive: true });
      try {
        trust.push(...(await t.prepare({ dir })).trustPems);
      } catch (err) {
        unavailable.set(t.name, errorText(err));
        log(`${t.name} is unavailable: ${errorText(err)}`);
        if (!(err instanceof TargetUnavailableError)) log(err instanceof Error && err.stack ? err.stack : '');
      }
    }

    log('starting MariaDB');
    benchDb = await startBenchDb(trust, profile);
    directTls = benchDb.directTls;
    const directEndpoint = {
      host: benchDb.info.host,
      port: benchDb.info.port,
      user: benchDb.info.dbUser,
      database: benchDb.info.database,
      tls: directTls,
    };
    if (['sysbench', 'audit', 'metrics', 'hooks'].some((m) => options.only.includes(m as MeasureName))) {
      log(`preparing sysbench tables (${profile.sysbenchTables} × ${profile.sysbenchTableSize} rows), directly`);
      await prepareSysbenchTables(
        directEndpoint,
        createSysbenchTlsDir(directEndpoint, join(workDir, 'sysbench-tls', 'prepare')),
        profile,
      );
    }

    const live: LiveTarget[] = [];
    for (const t of targets) {
      if (unavailable.has(t.name)) continue;
      try {
        started.push(t);
        const endpoint = await t.start(benchDb.info);
        live.push({ target: t, endpoint });
        log(`${t.name} is up on ${endpoint.host}:${endpoint.port}`);
      } catch (err) {
        unavailable.set(t.name, errorText(err));
        log(`${t.name} did not start: ${errorText(err)}${t.logFile ? ` (log: ${t.logFile})` : ''}`);
      }
    }

    const db = benchDb;
    const ctx: MeasureContext = {
      live,
      db,
      profile,
      options,
      workDir,
      log,
      async startExtra(name) {
        const extra = extras.get(name);
        if (!extra) throw new Error(`${name} was not prepared`);
        const reason = unavailable.get(name);
        if (reason !== undefined) throw new TargetUnavailableError(reason);
        started.push(extra);
        return { target: extra, endpoint: await extra.start(db.info) };
      },
    };
    if (live.length > 0) {
      for (const name of options.only) {
        if (stopping) break;
        log(`measuring ${name}`);
        await MEASURES[name](ctx, results);
      }
    }
    for (const [name, reason] of unavailable) results.notes.push(`${name} unavailable: ${reason.split('\n')[0]}`);
    if (options.psMode === 'auto') results.notes.push('sysbench ran with --db-ps-mode=auto (prepared statements)');

    const report = renderReport(results, options.targets, {
      date: new Date().toISOString(),
      commit: await describeCommit(REPO_ROOT),
      ...machine,
      mariadb: db.db.version,
      sysbench: await describeSysbench(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      mode: options.short ? 'short mode: small sizes, few seconds per run' : 'full run',
    });
    process.stdout.write(`\n${report}`);
    if (options.resultsFile) {
      writeFileSync(options.resultsFile, report);
      log(`wrote ${relative(process.cwd(), options.resultsFile) || options.resultsFile}`);
    }
    const anyFailed = [...results.cells.values()].some((row) => [...row.values()].some((c) => c.kind === 'failed'));
    return unavailable.size > 0 || anyFailed || live.length === 0 ? 1 : 0;
  } finally {
    if (!stopping) await cleanup();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
}
