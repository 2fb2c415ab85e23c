// gatectl lock --user NAME [--ttl 1h] [--message TEXT] | unlock --user NAME | locks ls
import { GatehouseError, type Lock } from '@gatehouse/common';
import type { Command } from '../command.js';
import { openCliStore } from '../open-store.js';
import { optionalString, parseDurationOption, requireString, writeListing, writeResult } from '../output.js';

export const lockCommands: Command[] = [
  {
    name: 'lock',
    summary: 'refuse new sessions of a user and close live ones (until --ttl ends, or unlock)',
    usage: '--user NAME [--ttl 1h] [--message TEXT]',
    options: { user: { type: 'string' }, ttl: { type: 'string' }, message: { type: 'string' } },
    async run(ctx) {
      const user = requireString(ctx, 'user');
      const ttl = optionalString(ctx, 'ttl');
      const message = optionalString(ctx, 'message');
      const lock: Lock = await (await openCliStore(ctx)).lockUser({
        user,
        ...(ttl === undefined ? {} : { ttlMs: parseDurationOption(ttl, 'ttl') }),
        ...(message === undefined ? {} : { message }),
      });
      writeResult(ctx, lock, `user '${user}' locked ${lock.expires ? `until ${lock.expires}` : 'until unlocked'}\n`);
      return 0;
    },
  },
  {
    name: 'unlock',
    summary: 'lift the lock on a user',
    usage: '--user NAME',
    options: { user: { type: 'string' } },
    async run(ctx) {
      const user = requireString(ctx, 'user');
      if (!(await (await openCliStore(ctx)).unlockUser(user))) {
        throw new GatehouseError('GH_ERR_STORE_NOT_FOUND', `user '${user}' is not locked`);
      }
      writeResult(ctx, { unlocked: user }, `user '${user}' unlocked\n`);
      return 0;
    },
  },
  {
    name: 'locks ls',
    summary: 'list locks in force',
    async run(ctx) {
      const locks = await (await openCliStore(ctx)).listActiveLocks();
      writeListing(ctx, locks, ['USER', 'EXPIRES', 'CREATED', 'MESSAGE'], (l) => [
        l.target.user,
        l.expires ?? 'never',
        l.created,
        l.message,
      ]);
      return 0;
    },
  },
];
