// gatectl auth sign --user NAME --db SERVICE [--db-user U] [--db-name N] [--db-role R] [--ttl 8h] --out PREFIX
//   [--format pem|p12] [--p12-password-env VAR] [--proxy-mysql HOST:PORT]
import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDuration, GatehouseError } from '@gatehouse/common';
import { type Command, type CommandContext, UsageError } from '../command.js';
import { loadAuth } from '../load-auth.js';
import { openCliState } from '../open-state.js';
import { optionalString, parseDurationOption, requireString } from '../output.js';
import { type ClientTarget, jdbcUrls, mariadbCommand, myCnfSection, mysqlCommand } from './client-hints.js';

const DEFAULT_PROXY_MYSQL = 'localhost:3036';

/** Writes a new file with `mode` from the start (an existing file is replaced, not reused). */
async function writeNew(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await writeFile(path, data, { mode, flag: 'wx' });
}

function readProxyAddress(text: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port < 1 || port > 65535) throw new UsageError(`--proxy-mysql must be HOST:PORT, not '${text}'`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function readFormat(ctx: Pick<CommandContext, 'values'>): 'pem' | 'p12' {
  const format = optionalString(ctx, 'format') ?? 'pem';
  if (format !== 'pem' && format !== 'p12')
    throw new UsageError(`auth sign --format must be pem or p12, not '${format}'`);
  return format;
}

export const authSignCommands: Command[] = [
  {
    name: 'auth sign',
    summary: 'issue a person a short-lived certificate for a database, and print how to connect',
    usage:
      '--user NAME --db SERVICE [--db-user U] [--db-name N] [--db-role primary|replica] [--ttl 8h] --out PREFIX [--format pem|p12]',
    options: {
      user: { type: 'string' },
      db: { type: 'string' },
      'db-user': { type: 'string' },
      'db-name': { type: 'string' },
      'db-role': { type: 'string' },
      ttl: { type: 'string' },
      out: { type: 'string' },
      'p12-password-env': { type: 'string' },
      'proxy-mysql': { type: 'string' },
      // Its own --format (pem|p12), checked first thing in run(), not the listings' table|json.
      format: { type: 'string' },
    },
    async run(ctx) {
      const user = requireString(ctx, 'user');
      const dbService = requireString(ctx, 'db');
      const prefix = resolve(requireString(ctx, 'out'));
      const format = readFormat(ctx);
      const dbUser = optionalString(ctx, 'db-user');
      const dbName = optionalString(ctx, 'db-name');
      const dbRole = optionalString(ctx, 'db-role');
      if (dbRole !== undefined && dbRole !== 'primary' && dbRole !== 'replica')
        throw new UsageError(`--db-role must be primary or replica, not '${dbRole}'`);
      const ttlText = optionalString(ctx, 'ttl');
      const ttlMs = ttlText === undefined ? undefined : parseDurationOption(ttlText, 'ttl');
      const proxy = readProxyAddress(optionalString(ctx, 'proxy-mysql') ?? DEFAULT_PROXY_MYSQL);
      const passwordEnv = optionalString(ctx, 'p12-password-env');
      if (passwordEnv !== undefined && format !== 'p12')
        throw new UsageError('--p12-password-env goes with --format p12');
      const password = passwordEnv === undefined ? undefined : ctx.env[passwordEnv];
      if (passwordEnv !== undefined && !password)
        throw new UsageError(`the environment variable ${passwordEnv} is empty or unset`);

      const { createPkcs12, issueUserCert } = await loadAuth();
      const state = await openCliState(ctx);
      const authorities = await state.openAuthorities();
      const store = state.store;
      const access = await store.resolveUserAccess(user);
      const lock = await store.isLocked(user);
      if (lock) {
        const until = lock.expires ? ` until ${lock.expires}` : '';
        throw new GatehouseError(
          'GH_ERR_IDENTITY_LOCKED',
          `user '${user}' is locked${until}${lock.message ? `: ${lock.message}` : ''}; no certificate was issued`,
        );
      }
      const issued = await issueUserCert(await authorities.signer('user'), {
        user,
        roles: access.roles.map((r) => r.name),
        dbService,
        ...(dbUser !== undefined ? { dbUser } : {}),
        ...(dbName !== undefined ? { dbName } : {}),
        ...(dbRole !== undefined ? { dbRole } : {}),
        dbUsers: access.user.traits.db_users ?? [],
        dbNames: access.user.traits.db_names ?? [],
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        maxTtlMs: access.sessionOptions.maxSessionTtlMs,
        ...(format === 'p12' ? { keyAlgorithm: 'rsa-2048' as const } : {}),
      });

      const files = { cert: `${prefix}.crt`, key: `${prefix}.key`, cas: `${prefix}.cas` };
      await writeNew(files.cert, issued.certificate, 0o644);
      await writeNew(files.cas, authorities.exportPem('host'), 0o644);
      const target: ClientTarget = { host: proxy.host, port: proxy.port, dbUser: dbUser ?? 'DB_USER', dbName };
      const out = ctx.stdout;
      const lifetime = formatDuration(Math.round((issued.notAfter.getTime() - Date.now()) / 60_000) * 60_000);
      if (format === 'p12') {
        const p12 = `${prefix}.p12`;
        const secret = password ?? randomBytes(18).toString('base64url');
        const userCa = authorities.trustedCas('user')[0]!.certificate;
        await writeNew(
          p12,
          createPkcs12({
            privateKey: issued.privateKey,
            certificates: [issued.certificate, userCa],
            password: secret,
            friendlyName: user,
          }),
          0o600,
        );
        out.write(`wrote ${p12} (0600, PKCS#12), ${files.cert} and ${files.cas}\n`);
        if (passwordEnv === undefined) {
          await writeNew(`${prefix}.p12.pass`, `${secret}\n`, 0o600);
          out.write(`the PKCS#12 password is in ${prefix}.p12.pass (0600)\n`);
        } else out.write(`the PKCS#12 password is the value of $${passwordEnv}\n`);
        out.write(`certificate for '${user}' valid until ${issued.notAfter.toISOString()} (about ${lifetime})\n\n`);
        const urls = jdbcUrls(target, p12, files.cas);
        out.write(`MariaDB Connector/J (DBeaver: driver properties):\n  ${urls.mariadb}\n`);
        out.write(`MySQL Connector/J (import ${files.cas} into a trust store with keytool first):\n  ${urls.mysql}\n`);
        return 0;
      }
      await writeNew(files.key, issued.privateKey, 0o600);
      out.write(`wrote ${files.cert}, ${files.key} (0600) and ${files.cas}\n`);
      out.write(`certificate for '${user}' valid until ${issued.notAfter.toISOString()} (about ${lifetime})\n\n`);
      out.write(`mariadb:\n  ${mariadbCommand(target, files)}\n`);
      out.write(`mysql 8/9:\n  ${mysqlCommand(target, files)}\n\n`);
      out.write(`~/.my.cnf:\n${myCnfSection(target, files)}\n`);
      return 0;
    },
  },
];
