// gatectl users add|ls|rm|update
import type { Traits, User } from '@gatehouse/common';
import { type Command, type CommandContext, UsageError } from '../command.js';
import { openCliStore } from '../open-store.js';
import { optionalString, requireString, splitList, writeListing, writeResult } from '../output.js';

function traitsFrom(ctx: CommandContext): Traits {
  const traits: { db_users?: string[]; db_names?: string[] } = {};
  const users = optionalString(ctx, 'db-users');
  const names = optionalString(ctx, 'db-names');
  if (users !== undefined) traits.db_users = splitList(users);
  if (names !== undefined) traits.db_names = splitList(names);
  return traits;
}

function rolesFrom(text: string): string[] {
  const roles = splitList(text);
  if (roles.length === 0) throw new UsageError('--roles needs at least one role name');
  return roles;
}

function describeUser(ctx: CommandContext, user: User, verb: string): void {
  writeResult(ctx, user, `user '${user.name}' ${verb} with roles ${user.roles.join(', ')}\n`);
}

const traitOptions = {
  'db-users': { type: 'string' },
  'db-names': { type: 'string' },
} as const;

export const userCommands: Command[] = [
  {
    name: 'users add',
    summary: 'add a user with roles and the db users / db names their role templates expand to',
    usage: 'NAME --roles R1,R2 [--db-users a,b] [--db-names x,y]',
    options: { roles: { type: 'string' }, ...traitOptions },
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const roles = rolesFrom(requireString(ctx, 'roles'));
      const store = await openCliStore(ctx);
      const user = await store.addUser({ name: ctx.positionals[0]!, roles, traits: traitsFrom(ctx) });
      describeUser(ctx, user, 'created');
      return 0;
    },
  },
  {
    name: 'users ls',
    summary: 'list users',
    async run(ctx) {
      const users = await (await openCliStore(ctx)).listUsers();
      writeListing(ctx, users, ['NAME', 'ROLES', 'DB USERS', 'DB NAMES', 'CREATED'], (u) => [
        u.name,
        u.roles.join(','),
        (u.traits.db_users ?? []).join(','),
        (u.traits.db_names ?? []).join(','),
        u.created,
      ]);
      return 0;
    },
  },
  {
    name: 'users rm',
    summary: 'remove a user (certificates already issued stay valid until they expire: lock the user too)',
    usage: 'NAME',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const name = ctx.positionals[0]!;
      await (await openCliStore(ctx)).removeUser(name);
      writeResult(ctx, { removed: name }, `user '${name}' removed\n`);
      return 0;
    },
  },
  {
    name: 'users update',
    summary: "change a user's roles or traits",
    usage: 'NAME [--roles R1,R2] [--db-users a,b] [--db-names x,y]',
    options: { roles: { type: 'string' }, ...traitOptions },
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const rolesText = optionalString(ctx, 'roles');
      const traits = traitsFrom(ctx);
      if (rolesText === undefined && Object.keys(traits).length === 0) {
        throw new UsageError('nothing to update: give --roles, --db-users or --db-names');
      }
      const store = await openCliStore(ctx);
      const patch = rolesText === undefined ? { traits } : { roles: rolesFrom(rolesText), traits };
      const user = await store.updateUser(ctx.positionals[0]!, patch);
      describeUser(ctx, user, 'updated');
      return 0;
    },
  },
];
