import { openStore, type Store } from '@gatehouse/auth';
import type { CommandContext } from './command.js';
import { resolveDataDir } from './output.js';

/** The identity store of the data dir this invocation points at. */
export function openCliStore(ctx: Pick<CommandContext, 'values' | 'env'>): Promise<Store> {
  return openStore({ dataDir: resolveDataDir(ctx) });
}
