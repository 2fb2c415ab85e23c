import type { Store } from '@gatehouse/auth';
import type { CommandContext } from './command.js';
import { openCliState } from './open-state.js';

/** The identity store of the data dir or config this invocation points at. */
export async function openCliStore(ctx: Pick<CommandContext, 'values' | 'env'>): Promise<Store> {
  return (await openCliState(ctx)).store;
}
