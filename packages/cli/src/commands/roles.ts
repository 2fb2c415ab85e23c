// gatectl roles create -f FILE [--force] | roles ls | roles get NAME | roles rm NAME
import { readFile } from 'node:fs/promises';
import { GatehouseError, parseRole, type Role } from '@gatehouse/common';
import type { Command } from '../command.js';
import { openCliStore } from '../open-store.js';
import { requireString, writeListing, writeResult } from '../output.js';

/** Reads every role in a (multi-document) YAML file; nothing is stored unless all are valid. */
async function readRoleFile(path: string): Promise<Role[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new GatehouseError('GH_ERR_CONFIG', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  // yaml is loaded here rather than at startup: only roles create and roles get need it.
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const roles: Role[] = [];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${path} (document ${i + 1})` : path;
    if (doc.errors.length > 0) {
      throw new GatehouseError('GH_ERR_CONFIG', `${where}: invalid YAML: ${doc.errors[0]!.message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    roles.push(parseRole(value, where));
  });
  if (roles.length === 0) throw new GatehouseError('GH_ERR_CONFIG', `${path}: no role in the file`);
  const seen = new Set<string>();
  for (const role of roles) {
    if (seen.has(role.name)) throw new GatehouseError('GH_ERR_CONFIG', `${path}: role '${role.name}' appears twice`);
    seen.add(role.name);
  }
  return roles;
}

function summarize(conditions: Role['allow']): string {
  if (conditions === undefined) return '';
  const parts: string[] = [];
  if (conditions.db_labels) {
    const labels = Object.entries(conditions.db_labels).map(
      ([k, v]) => `${k}=${typeof v === 'string' ? v : v.join('|')}`,
    );
    parts.push(`labels ${labels.join(',')}`);
  }
  if (conditions.db_users) parts.push(`users ${conditions.db_users.join(',')}`);
  if (conditions.db_names) parts.push(`names ${conditions.db_names.join(',')}`);
  return parts.join('; ');
}

export const roleCommands: Command[] = [
  {
    name: 'roles create',
    summary: 'create roles from a YAML file (several documents allowed); --force replaces existing ones',
    usage: '-f FILE [--force]',
    options: { file: { type: 'string', short: 'f' }, force: { type: 'boolean' } },
    async run(ctx) {
      const roles = await readRoleFile(requireString(ctx, 'file'));
      const store = await openCliStore(ctx);
      const results: Array<{ name: string; created: boolean }> = [];
      for (const role of roles) {
        const { created } = await store.putRole(role, { replace: ctx.values.force === true });
        results.push({ name: role.name, created });
      }
      writeResult(
        ctx,
        results,
        results.map((r) => `role '${r.name}' ${r.created ? 'created' : 'replaced'}\n`).join(''),
      );
      return 0;
    },
  },
  {
    name: 'roles ls',
    summary: 'list roles',
    async run(ctx) {
      const roles = await (await openCliStore(ctx)).listRoles();
      writeListing(ctx, roles, ['NAME', 'MAX SESSION TTL', 'ALLOW', 'DENY'], (r) => [
        r.name,
        r.options?.max_session_ttl ?? '-',
        summarize(r.allow),
        summarize(r.deny),
      ]);
      return 0;
    },
  },
  {
    name: 'roles get',
    summary: 'print a role as YAML (or JSON with --format json)',
    usage: 'NAME',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const name = ctx.positionals[0]!;
      const role = await (await openCliStore(ctx)).getRole(name);
      if (role === undefined) throw new GatehouseError('GH_ERR_STORE_NOT_FOUND', `role '${name}' does not exist`);
      const { stringify } = await import('yaml');
      writeResult(ctx, role, stringify(role));
      return 0;
    },
  },
  {
    name: 'roles rm',
    summary: 'remove a role no user refers to',
    usage: 'NAME',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const name = ctx.positionals[0]!;
      await (await openCliStore(ctx)).removeRole(name);
      writeResult(ctx, { removed: name }, `role '${name}' removed\n`);
      return 0;
    },
  },
];
