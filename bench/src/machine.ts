// The facts a results table needs to be read later: the machine, the versions, the commit.
import { cpus, loadavg, totalmem } from 'node:os';
import { runProgram } from './child.js';

export interface MachineFacts {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly loadAverage: string;
  readonly node: string;
}

export function describeMachine(): MachineFacts {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown CPU',
    cores: list.length,
    memoryGiB: totalmem() / 2 ** 30,
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    node: process.version,
  };
}

/** `abc1234`, or `abc1234+dirty` when the work tree has changes. */
export async function describeCommit(cwd: string): Promise<string> {
  const head = await runProgram('git', ['rev-parse', '--short', 'HEAD'], { cwd, timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  if (!head || head.code !== 0) return 'unknown (not a git checkout)';
  const status = await runProgram('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, timeoutMs: 10_000 });
  return `${head.stdout.trim()}${status.stdout.trim().length > 0 ? '+dirty' : ''}`;
}

export async function describeSysbench(): Promise<string> {
  const r = await runProgram('sysbench', ['--version'], { timeoutMs: 10_000 }).catch(() => undefined);
  return r?.code === 0 ? r.stdout.trim() : 'sysbench (version unknown)';
}
