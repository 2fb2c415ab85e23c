// The deployment the rolling-restart bench restarts: auth + proxy in one `gatehouse start`, and
// two engines (rr-a, rr-b) in processes of their own serving the one bench database, each joined
// with a token as an operator would. Engines can be stopped with SIGTERM and started again; a
// restarted engine keeps its host credentials in its data dir and needs no new token.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '@gatehouse/testing';
import { canConnect, stopChild, waitFor } from '../child.js';
import { GATEHOUSE, runGatectl } from '../targets/gatehouse-cli.js';
import { buildEngineConfig, buildProxyConfig, type ConfigInput } from '../targets/gatehouse-config.js';
import type { BenchDatabase } from '../targets/target.js';

export const ENGINE_NAMES = ['rr-a', 'rr-b'] as const;
const READY_TIMEOUT_MS = 60_000;

interface Proc {
  child: ChildProcess;
  readonly configFile: string;
  readonly logFile: string;
}

export interface TwoEngineCluster {
  readonly mysqlPort: number;
  /** SIGTERM to engine `name`, waiting for it to exit; returns how long the exit took (ms). */
  stopEngine(name: string): Promise<number>;
  /** Starts engine `name` again and waits until `gatectl engine ls` shows it serving. */
  startEngine(name: string): Promise<void>;
  /** `gatectl engine ls --format json`. */
  engines(): Promise<{ id: string; state: string; sessions: number }[]>;
  stop(): Promise<void>;
}

function spawnGatehouse(configFile: string, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(process.execPath, [GATEHOUSE, 'start', '--config', configFile], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n') : '(no log)';
}

export async function startTwoEngineCluster(
  dir: string,
  dataDir: string,
  db: BenchDatabase,
): Promise<TwoEngineCluster> {
  const ports = { mysql: await findFreePort(), web: await findFreePort(), diag: await findFreePort() };
  const input: ConfigInput = { dataDir, ports, db };
  const proxyFile = join(dir, 'proxy.yaml');
  writeFileSync(proxyFile, buildProxyConfig(input));
  const proxyLog = join(dir, 'proxy.log');
  const proxy: Proc = { child: spawnGatehouse(proxyFile, proxyLog), configFile: proxyFile, logFile: proxyLog };
  const engines = new Map<string, Proc>();
  const all = (): Proc[] => [proxy, ...engines.values()];

  const gatectlJson = async <T>(args: string[]): Promise<T> =>
    JSON.parse(await runGatectl(dataDir, [...args, '--format', 'json'])) as T;
  const listEngines = () => gatectlJson<{ id: string; state: string; sessions: number }[]>(['engine', 'ls']);
  const waitServing = (name: string): Promise<void> =>
    waitFor(
      async () => {
        const proc = engines.get(name);
        if (proc && proc.child.exitCode !== null)
          throw new Error(`engine ${name} exited while starting; its log:\n${tail(proc.logFile)}`);
        return (await listEngines()).some((e) => e.id === name && e.state === 'serving');
      },
      READY_TIMEOUT_MS,
      `engine ${name} serving in gatectl engine ls`,
    );

  try {
    await waitFor(
      async () => {
        if (proxy.child.exitCode !== null) throw new Error(`the proxy exited; its log:\n${tail(proxyLog)}`);
        return canConnect(ports.web);
      },
      READY_TIMEOUT_MS,
      "the proxy's HTTPS port",
    );
    for (const name of ENGINE_NAMES) {
      const token = await gatectlJson<{ token: string; ca_pin: string }>(['tokens', 'add', '--type', 'engine']);
      const engineInput: ConfigInput = {
        ...input,
        dataDir: join(dir, `${name}-data`),
        ports: { ...ports, diag: await findFreePort() },
      };
      mkdirSync(engineInput.dataDir, { recursive: true });
      const config = JSON.parse(
        buildEngineConfig(engineInput, ports.web, { token: token.token, ca_pin: token.ca_pin }),
      ) as { engine: Record<string, unknown> };
      // Two engines on one host: each needs a name of its own (the default is the host name).
      config.engine.name = name;
      const configFile = join(dir, `${name}.yaml`);
      writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
      const logFile = join(dir, `${name}.log`);
      engines.set(name, { child: spawnGatehouse(configFile, logFile), configFile, logFile });
      await waitServing(name);
    }
  } catch (err) {
    for (const p of all()) await stopChild(p.child);
    throw err;
  }

  return {
    mysqlPort: ports.mysql,
    async stopEngine(name) {
      const proc = engines.get(name);
      if (!proc) throw new Error(`no engine ${name}`);
      const started = performance.now();
      // Longer than the engine's own drain grace, so the figure is what the engine does.
      await stopChild(proc.child, 60_000);
      return performance.now() - started;
    },
    async startEngine(name) {
      const proc = engines.get(name);
      if (!proc) throw new Error(`no engine ${name}`);
      proc.child = spawnGatehouse(proc.configFile, proc.logFile);
      await waitServing(name);
    },
    engines: listEngines,
    async stop() {
      for (const p of [...engines.values()].reverse()) await stopChild(p.child);
      await stopChild(proxy.child);
    },
  };
}
