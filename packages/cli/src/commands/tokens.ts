// gatectl tokens add --type engine [--ttl 1h] | tokens ls
import { createHash, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError, TokenTypeSchema } from '@gatehouse/common';
import { type Command, UsageError } from '../command.js';
import { openCliStore } from '../open-store.js';
import {
  optionalString,
  parseDurationOption,
  resolveDataDir,
  resolveFormat,
  writeJson,
  writeListing,
} from '../output.js';

const DEFAULT_TOKEN_TTL = '1h';

/** The pin engines check: SHA-256 over the CA's SubjectPublicKeyInfo, so a re-issued CA cert with the same key still matches. */
export function computeCaPin(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The active host CA certificate, from the layout `gatectl ca init` writes (<data_dir>/ca/host/). */
async function readHostCaPem(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'ca', 'host');
  try {
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { active?: { id?: unknown } };
    const id = state.active?.id;
    if (typeof id !== 'string' || !/^[0-9a-f]+$/.test(id)) throw new Error('state.json names no active CA');
    return await readFile(join(dir, `${id}.crt`), 'utf8');
  } catch (err) {
    const hint =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? "run 'gatectl ca init' first" : (err as Error).message;
    throw new GatehouseError('GH_ERR_CONFIG', `no host CA in ${dir}: ${hint}`, { cause: err });
  }
}

export const tokenCommands: Command[] = [
  {
    name: 'tokens add',
    summary: 'create a single-use join token and print it with the host CA pin',
    usage: '--type engine [--ttl 1h]',
    options: { type: { type: 'string' }, ttl: { type: 'string' } },
    async run(ctx) {
      const parsedType = TokenTypeSchema.safeParse(ctx.values.type);
      if (!parsedType.success) {
        throw new UsageError(`--type must be one of: ${TokenTypeSchema.options.join(', ')}`);
      }
      const ttlMs = parseDurationOption(optionalString(ctx, 'ttl') ?? DEFAULT_TOKEN_TTL, 'ttl');
      const dataDir = resolveDataDir(ctx);
      // The pin first: a token without it is of no use to an engine.
      const caPin = computeCaPin(await readHostCaPem(dataDir));
      const { secret, id, token } = await (await openCliStore(ctx)).createToken({ type: parsedType.data, ttlMs });
      if (resolveFormat(ctx) === 'json') {
        writeJson(ctx.stdout, { token: secret, id, type: token.type, expires: token.expires, ca_pin: caPin });
        return 0;
      }
      ctx.stdout.write(
        [
          `token:    ${secret}`,
          `type:     ${token.type}`,
          `expires:  ${token.expires}`,
          `ca pin:   ${caPin}`,
          '',
          'The token works once and is not shown again. In the engine config:',
          '  engine:',
          `    join: { token: "${secret}", ca_pin: "${caPin}" }`,
          '',
        ].join('\n'),
      );
      return 0;
    },
  },
  {
    name: 'tokens ls',
    summary: 'list join tokens not yet used (secrets are not kept, only their ids)',
    async run(ctx) {
      const tokens = await (await openCliStore(ctx)).listTokens();
      writeListing(
        ctx,
        tokens,
        ['ID', 'TYPE', 'EXPIRES', 'STATE'],
        (t) => [t.id, t.type, t.expires, t.expired ? 'expired' : 'valid'],
        (t) => ({ id: t.id, type: t.type, expires: t.expires, created: t.created, expired: t.expired }),
      );
      return 0;
    },
  },
];
