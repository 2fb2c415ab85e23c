// gatectl web login --user NAME [--ttl 10m] [--url https://HOST:3080]
// Prints a one-time sign-in link to the audit web app. The link holds a single-use token bound
// to the person (in the URL fragment, which browsers never send to a server); the page trades it
// for a session cookie that lasts as long as a certificate from `gatectl auth sign` would.
import { computeAuditPermissions, GatehouseError } from '@gatehouse/common';
import { type Command, UsageError } from '../command.js';
import { openCliStore } from '../open-store.js';
import { optionalString, parseDurationOption, requireString, writeResult } from '../output.js';

const DEFAULT_LINK_TTL = '10m';
const DEFAULT_URL = 'https://localhost:3080';

export const webCommands: Command[] = [
  {
    name: 'web login',
    summary: 'print a one-time sign-in link to the audit web app for a user whose roles grant audit.read',
    usage: '--user NAME [--ttl 10m] [--url https://HOST:3080]',
    options: { user: { type: 'string' }, ttl: { type: 'string' }, url: { type: 'string' } },
    async run(ctx) {
      const user = requireString(ctx, 'user');
      const ttlMs = parseDurationOption(optionalString(ctx, 'ttl') ?? DEFAULT_LINK_TTL, 'ttl');
      const base = (optionalString(ctx, 'url') ?? DEFAULT_URL).replace(/\/+$/, '');
      if (!/^https:\/\/[^/?#\s]+$/.test(base))
        throw new UsageError('--url must be https://HOST[:PORT], the proxy web address');
      const store = await openCliStore(ctx);
      const access = await store.resolveUserAccess(user);
      if (!computeAuditPermissions(access.roles).read) {
        throw new GatehouseError(
          'GH_ERR_WEB_FORBIDDEN',
          `the roles of user '${user}' (${access.user.roles.join(', ')}) do not grant audit.read; add a role with options.audit.read: true`,
        );
      }
      const lock = await store.isLocked(user);
      if (lock !== undefined)
        throw new GatehouseError('GH_ERR_IDENTITY_LOCKED', `user '${user}' is locked: ${lock.message}`);
      const { secret, token } = await store.createToken({ type: 'web', ttlMs, user });
      const link = `${base}/web/#/login/${secret}`;
      writeResult(
        ctx,
        { user, link, expires: token.expires },
        `Sign-in link for ${user} (works once, until ${token.expires}):\n  ${link}\n`,
      );
      return 0;
    },
  },
];
