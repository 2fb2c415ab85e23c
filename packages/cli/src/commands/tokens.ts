// gatectl tokens add --type engine [--ttl 1h] | tokens ls
import { GatehouseError, TokenTypeSchema } from '@gatehouse/common';
import { type Command, UsageError } from '../command.js';
import { loadAuth } from '../load-auth.js';
import { openCliState } from '../open-state.js';
import { openCliStore } from '../open-store.js';
import { optionalString, parseDurationOption, writeListing, writeResult } from '../output.js';

const DEFAULT_TOKEN_TTL = '1h';

/** The active host CA certificate: engines pin it before they trust the proxy. */
async function readHostCaPem(ctx: Parameters<typeof openCliState>[0]): Promise<string> {
  const state = await openCliState(ctx);
  const active = (await state.openAuthorities()).list('host').find((ca) => ca.active);
  if (active === undefined)
    throw new GatehouseError('GH_ERR_CA_NOT_INITIALIZED', `no active host CA in ${state.where}`);
  return active.certificate;
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
      if (parsedType.data === 'web')
        throw new UsageError("web sign-in tokens come from 'gatectl web login --user NAME'");
      const ttlMs = parseDurationOption(optionalString(ctx, 'ttl') ?? DEFAULT_TOKEN_TTL, 'ttl');
      // The pin first: a token without it is of no use to an engine.
      const caPin = (await loadAuth()).computeCaPin(await readHostCaPem(ctx));
      const { secret, id, token } = await (await openCliStore(ctx)).createToken({ type: parsedType.data, ttlMs });
      writeResult(
        ctx,
        { token: secret, id, type: token.type, expires: token.expires, ca_pin: caPin },
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
