// Where the running services keep their run files (<data_dir>/run: the proxies' registry
// snapshots): --data-dir (or GATEHOUSE_DATA_DIR), else the data_dir of --config (or
// GATEHOUSE_CONFIG), the way `gatehouse start` reads it.
import { loadConfig } from '@gatehouse/common';
import type { CommandContext } from './command.js';
import { resolveConfigFile } from './open-state.js';
import { resolveDataDir } from './output.js';

export async function resolveRunDataDir(ctx: Pick<CommandContext, 'values' | 'env'>): Promise<string> {
  const file = resolveConfigFile(ctx);
  const dataDirGiven = typeof ctx.values['data-dir'] === 'string' || (ctx.env.GATEHOUSE_DATA_DIR ?? '') !== '';
  if (file === undefined || dataDirGiven) return resolveDataDir(ctx);
  return resolveDataDir({ values: { 'data-dir': (await loadConfig(file)).data_dir }, env: ctx.env });
}
