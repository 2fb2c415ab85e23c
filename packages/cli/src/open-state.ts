// The cluster state a gatectl run works on. `--config FILE` (or GATEHOUSE_CONFIG) names it the
// way `gatehouse start` reads it, so an operator on any host with the config reaches the shared
// PostgreSQL store; otherwise `--data-dir` (or GATEHOUSE_DATA_DIR) names a file-backed data dir.
import type { ClusterState } from '@gatehouse/auth';
import { loadConfig } from '@gatehouse/common';
import type { CommandContext } from './command.js';
import { loadAuth } from './load-auth.js';
import { resolveDataDir } from './output.js';

type Ctx = Pick<CommandContext, 'values' | 'env'>;

// One state per invocation: a command that reads the store and the CAs shares one pool.
const opened = new WeakMap<object, Promise<ClusterState>>();

export function resolveConfigFile(ctx: Ctx): string | undefined {
  const flag = ctx.values.config;
  if (typeof flag === 'string' && flag.length > 0) return flag;
  return ctx.env.GATEHOUSE_CONFIG || undefined;
}

async function open(ctx: Ctx): Promise<ClusterState> {
  const { openClusterState } = await loadAuth();
  const file = resolveConfigFile(ctx);
  if (file === undefined) return openClusterState({ dataDir: resolveDataDir(ctx) });
  const config = await loadConfig(file);
  const dataDir = typeof ctx.values['data-dir'] === 'string' ? resolveDataDir(ctx) : config.data_dir;
  return openClusterState({ dataDir, storage: config.storage, env: ctx.env });
}

export function openCliState(ctx: Ctx): Promise<ClusterState> {
  let state = opened.get(ctx.values);
  if (!state) {
    state = open(ctx);
    opened.set(ctx.values, state);
    state.catch(() => opened.delete(ctx.values));
  }
  return state;
}
