import type { Store } from '@gatehouse/auth';
import type { CommandContext } from './command.js';
import { loadAuth } from './load-auth.js';
import { resolveDataDir } from './output.js';

/** The identity store of the data dir this invocation points at. */
export async function openCliStore(ctx: Pick<CommandContext, 'values' | 'env'>): Promise<Store> {
  const { openStore } = await loadAuth();
  return openStore({ dataDir: resolveDataDir(ctx) });
}
