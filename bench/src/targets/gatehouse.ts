// Gatehouse under test, set up the way an operator would with `gatectl` and run with
// `gatehouse start --config`: one process (auth + proxy + engine), or two (auth + proxy, and an
// engine that joins with a token). `gatehouse-1proc-nodbresume` is the one-process shape whose
// engine makes a full TLS handshake to the database for every session (databases[].tls.resumption
// false), for what database-leg resumption saves. `gatehouse-1proc-noaudit` is the one-process shape with query
// events switched off, for the cost of audit; `gatehouse-1proc-nometrics` has command latency
// metrics off, for their cost. `gatehouse-1proc-hooks-connect` runs a hook module with only a
// connection hook (what a command costs when no module has a command hook) and
// `gatehouse-1proc-hooks-command` one with a pass-through onCommand (a hook round trip per command).
// `gatehouse-1proc-autouser` logs each session in as its person's own database user
// (create_db_user), for what making, unlocking and locking that user costs a connect.
// `gatehouse-1proc-dbzip` compresses the database leg (databases[].compression), for
// bench/src/compression-bench.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '@gatehouse/testing';
import { DB_ADMIN } from '../bench-db.js';
import { canConnect, stopChild, waitFor } from '../child.js';
import { createSessionFactory, probeSession } from '../mysql-client.js';
import { checkGatehouseStart, GATEHOUSE, runGatectl } from './gatehouse-cli.js';
import {
  BENCH_AUTO_ROLE_YAML,
  BENCH_AUTO_USER,
  BENCH_ROLE_YAML,
  buildEngineConfig,
  buildOneProcessConfig,
  buildProxyConfig,
  type ConfigInput,
  DB_SERVICE,
} from './gatehouse-config.js';
import { type BenchDatabase, type Endpoint, type Target, TargetUnavailableError } from './target.js';

export type GatehouseShape =
  | 'gatehouse-1proc'
  | 'gatehouse-1proc-2w'
  | 'gatehouse-2proc'
  | 'gatehouse-2proc-2w'
  | AuditVariant
  | 'gatehouse-1proc-nodbresume'
  | 'gatehouse-1proc-nometrics'
  | HookVariant
  | 'gatehouse-1proc-autouser'
  | 'gatehouse-1proc-dbzip';
/** One-process gateways with an engine.hooks module: only onConnect, or a pass-through onCommand. */
export type HookVariant = 'gatehouse-1proc-hooks-connect' | 'gatehouse-1proc-hooks-command';

const HOOK_MODULES: Partial<Record<GatehouseShape, string>> = {
  'gatehouse-1proc-hooks-connect': 'export function onConnect() { return undefined; }\n',
  'gatehouse-1proc-hooks-command': 'export function onCommand(ctx, command) { return undefined; }\n',
};
/** One-process gateways that differ from gatehouse-1proc only in their audit settings. */
export type AuditVariant =
  | 'gatehouse-1proc-noaudit'
  | 'gatehouse-1proc-sync-batch'
  | 'gatehouse-1proc-sync-always'
  | 'gatehouse-1proc-writer-thread';

/**
 * The config switch that turns db.session.query and statement events off (config
 * audit.query_events). An older gatehouse whose strict schema rejects it makes the audit
 * measurement say so instead of failing.
 */
export const QUERY_EVENTS_OFF = { query_events: false } as const;

const AUDIT_SETTINGS: Partial<Record<GatehouseShape, Record<string, unknown>>> = {
  'gatehouse-1proc-noaudit': QUERY_EVENTS_OFF,
  'gatehouse-1proc-sync-batch': { spool_sync: 'batch' },
  'gatehouse-1proc-sync-always': { spool_sync: 'always' },
  // The audit store's writer in its own thread whatever the cores ('auto' leaves it out on two).
  'gatehouse-1proc-writer-thread': { writer_thread: 'on' },
};

const READY_TIMEOUT_MS = 60_000;

interface Running {
  readonly child: ChildProcess;
  readonly log: string;
}

function logTail(file: string): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
}

/**
 * Extra node options for the gateway processes only, e.g. `BENCH_GATEHOUSE_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"` to profile them (the profile is written when they stop on SIGTERM).
 */
const GATEHOUSE_NODE_ARGS = (process.env.BENCH_GATEHOUSE_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');

function spawnGatehouse(configFile: string, logFile: string): Running {
  const fd = openSync(logFile, 'a');
  try {
    const args = [...GATEHOUSE_NODE_ARGS, GATEHOUSE, 'start', '--config', configFile];
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd] });
    return { child, log: logFile };
  } finally {
    closeSync(fd);
  }
}

function writeHookModule(dir: string, source: string): string {
  const file = join(dir, 'bench-hook.mjs');
  writeFileSync(file, source);
  return file;
}

/** The direct children of `pid` (Linux /proc); none where that cannot be read. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function exitedEarly(r: Running): boolean {
  return r.child.exitCode !== null || r.child.signalCode !== null;
}

export function createGatehouseTarget(shape: GatehouseShape): Target {
  let dir = '';
  let dataDir = '';
  let certPrefix = '';
  const running: Running[] = [];

  async function waitUntilServing(endpoint: Endpoint): Promise<void> {
    const factory = createSessionFactory(endpoint);
    await waitFor(
      async () => {
        const dead = running.find(exitedEarly);
        if (dead) {
          const tail = logTail(dead.log);
          const said = tail.split('\n').findLast((line) => /query_events/.test(line));
          if (shape === 'gatehouse-1proc-noaudit' && said !== undefined) {
            throw new TargetUnavailableError(
              `the config has no switch for query events yet; gatehouse said: ${said.trim()}`,
            );
          }
          const noSwitch = tail.split('\n').findLast((line) => /command_latency_metrics/.test(line));
          if (shape === 'gatehouse-1proc-nometrics' && noSwitch !== undefined) {
            throw new TargetUnavailableError(
              `the config has no switch for command latency metrics; gatehouse said: ${noSwitch.trim()}`,
            );
          }
          throw new Error(
            `gatehouse exited (${dead.child.exitCode ?? dead.child.signalCode}) while starting; its log:\n${tail}`,
          );
        }
        return probeSession(factory);
      },
      READY_TIMEOUT_MS,
      `a session through ${shape} (SELECT 1)`,
    );
  }

  return {
    name: shape,
    get logFile() {
      return join(dir, 'gatehouse.log');
    },
    async prepare(ctx) {
      dir = ctx.dir;
      dataDir = join(dir, 'data');
      certPrefix = join(dir, 'bench-user');
      mkdirSync(dataDir, { recursive: true });
      await checkGatehouseStart();
      await runGatectl(dataDir, ['ca', 'init']);
      const roleFile = join(dir, 'role.yaml');
      const auto = shape === 'gatehouse-1proc-autouser';
      writeFileSync(roleFile, auto ? BENCH_AUTO_ROLE_YAML : BENCH_ROLE_YAML);
      await runGatectl(dataDir, ['roles', 'create', '-f', roleFile]);
      const [user, role] = auto ? [BENCH_AUTO_USER, 'bench-auto'] : ['bench', 'bench'];
      await runGatectl(dataDir, ['users', 'add', user, '--roles', role]);
      await runGatectl(dataDir, [
        'auth',
        'sign',
        '--user',
        user,
        '--db',
        DB_SERVICE,
        '--db-user',
        user,
        '--out',
        certPrefix,
      ]);
      const dbClientCa = await runGatectl(dataDir, ['auth', 'export', '--type', 'db-client']);
      if (!dbClientCa.includes('BEGIN CERTIFICATE'))
        throw new Error('gatectl auth export --type db-client printed no PEM');
      return { trustPems: [dbClientCa] };
    },
    async start(db: BenchDatabase) {
      const ports = { mysql: await findFreePort(), web: await findFreePort(), diag: await findFreePort() };
      const input: ConfigInput = {
        dataDir,
        ports,
        db,
        ...(AUDIT_SETTINGS[shape] ? { audit: AUDIT_SETTINGS[shape] } : {}),
        ...(shape === 'gatehouse-1proc-nodbresume' ? { databaseTls: { resumption: false } } : {}),
        ...(shape === 'gatehouse-1proc-nometrics' ? { commandLatencyMetrics: false } : {}),
        ...(HOOK_MODULES[shape] !== undefined ? { hooks: [writeHookModule(dir, HOOK_MODULES[shape])] } : {}),
        ...(shape === 'gatehouse-1proc-2w' || shape === 'gatehouse-2proc-2w' ? { workers: 2 } : {}),
        ...(shape === 'gatehouse-1proc-autouser' ? { adminUser: { name: DB_ADMIN } } : {}),
        ...(shape === 'gatehouse-1proc-dbzip' ? { databaseCompression: true } : {}),
      };
      const logFile = join(dir, 'gatehouse.log');
      if (shape === 'gatehouse-2proc' || shape === 'gatehouse-2proc-2w') {
        // The token first: the proxy process then owns the data dir.
        const token = JSON.parse(
          await runGatectl(dataDir, ['tokens', 'add', '--type', 'engine', '--format', 'json']),
        ) as {
          token: string;
          ca_pin: string;
        };
        const proxyFile = join(dir, 'proxy.yaml');
        writeFileSync(proxyFile, buildProxyConfig(input));
        const proxy = spawnGatehouse(proxyFile, logFile);
        running.push(proxy);
        // An engine joins once and exits if the proxy's HTTPS port is not up yet.
        await waitFor(
          async () => {
            if (exitedEarly(proxy))
              throw new Error(`the gatehouse proxy exited while starting; its log:\n${logTail(logFile)}`);
            return canConnect(ports.web);
          },
          READY_TIMEOUT_MS,
          `the proxy's HTTPS port ${ports.web}`,
        );
        const engineInput: ConfigInput = {
          ...input,
          dataDir: join(dir, 'engine-data'),
          ports: { ...ports, diag: await findFreePort() },
        };
        mkdirSync(engineInput.dataDir, { recursive: true });
        const engineFile = join(dir, 'engine.yaml');
        writeFileSync(
          engineFile,
          buildEngineConfig(engineInput, ports.web, { token: token.token, ca_pin: token.ca_pin }),
        );
        running.push(spawnGatehouse(engineFile, join(dir, 'engine.log')));
      } else {
        const configFile = join(dir, 'gatehouse.yaml');
        writeFileSync(configFile, buildOneProcessConfig(input));
        running.push(spawnGatehouse(configFile, logFile));
      }
      const endpoint: Endpoint = {
        host: '127.0.0.1',
        port: ports.mysql,
        user: shape === 'gatehouse-1proc-autouser' ? BENCH_AUTO_USER : db.dbUser,
        database: db.database,
        tls: { caFile: `${certPrefix}.cas`, certFile: `${certPrefix}.crt`, keyFile: `${certPrefix}.key` },
      };
      await waitUntilServing(endpoint);
      // With proxy workers, each needs its own tunnels from the engine before it serves: one
      // connection at a time goes to each worker in turn, so serve a round of each.
      if (shape === 'gatehouse-2proc-2w') for (let i = 0; i < 4; i++) await waitUntilServing(endpoint);
      return endpoint;
    },
    async stop() {
      // The engine first in the split shape, so the proxy does not log a lost tunnel.
      for (const r of [...running].reverse()) await stopChild(r.child);
      running.length = 0;
    },
    // With proxy.workers, the session workers are children of the gatehouse process.
    pids: () => running.flatMap((r) => (r.child.pid === undefined ? [] : [r.child.pid, ...childPids(r.child.pid)])),
  };
}
