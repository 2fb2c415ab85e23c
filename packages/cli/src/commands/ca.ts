// gatectl ca init [--algorithm ecdsa-p256|rsa-2048] | ca rotate --type T --grace 1h | ca ls
// | auth export --type T
import type { CaRecord, CaType, KeyAlgorithm } from '@gatehouse/auth';
import { type Command, UsageError } from '../command.js';
import { type Auth, loadAuth } from '../load-auth.js';
import { openCliState } from '../open-state.js';
import {
  optionalString,
  parseDurationOption,
  requireString,
  resolveFormat,
  writeListing,
  writeResult,
} from '../output.js';

function readCaType(auth: Auth, value: string): CaType {
  if (!auth.isCaType(value)) throw new UsageError(`--type must be one of ${auth.CA_TYPES.join(', ')}, not '${value}'`);
  return value;
}

function readAlgorithm(auth: Auth, value: string | undefined): KeyAlgorithm | undefined {
  if (value === undefined) return undefined;
  if (!auth.isKeyAlgorithm(value)) {
    throw new UsageError(`--algorithm must be one of ${auth.KEY_ALGORITHMS.join(', ')}, not '${value}'`);
  }
  return value;
}

function status(record: CaRecord, now: Date): string {
  if (record.active) return 'active';
  const until = record.trustedUntil;
  return until && until.getTime() > now.getTime() ? `trusted until ${until.toISOString()}` : 'retired';
}

function toJson(record: CaRecord, now: Date): Record<string, unknown> {
  return {
    type: record.type,
    id: record.id,
    algorithm: record.algorithm,
    status: record.active ? 'active' : status(record, now) === 'retired' ? 'retired' : 'grace',
    subject: record.subject,
    fingerprint_sha256: record.fingerprint,
    created: record.created.toISOString(),
    not_after: record.notAfter.toISOString(),
    ...(record.trustedUntil ? { trusted_until: record.trustedUntil.toISOString() } : {}),
  };
}

const HEADERS = ['TYPE', 'ID', 'ALGORITHM', 'STATUS', 'SHA-256 FINGERPRINT'];
const toRow = (now: Date) => (r: CaRecord) => [r.type, r.id, r.algorithm, status(r, now), r.fingerprint];

export const caCommands: Command[] = [
  {
    name: 'ca init',
    summary: 'create the user, host and db-client CAs in the data dir (keeps the ones that exist)',
    usage: '[--algorithm ecdsa-p256|rsa-2048]',
    options: { algorithm: { type: 'string' } },
    async run(ctx) {
      const auth = await loadAuth();
      const algorithm = readAlgorithm(auth, optionalString(ctx, 'algorithm'));
      resolveFormat(ctx); // a bad --format is a usage error before any CA is made
      const now = new Date();
      const { authorities, created } = await (await openCliState(ctx)).initAuthorities(
        algorithm ? { algorithm, now } : { now },
      );
      const active = auth.CA_TYPES.map((type) => authorities.list(type)[0]!);
      writeListing(
        ctx,
        active,
        ['TYPE', 'ALGORITHM', 'RESULT', 'SHA-256 FINGERPRINT'],
        (r) => [r.type, r.algorithm, created.includes(r.type) ? 'created' : 'exists', r.fingerprint],
        (r) => ({ ...toJson(r, now), created_now: created.includes(r.type) }),
      );
      return 0;
    },
  },
  {
    name: 'ca rotate',
    summary: 'make a new CA that signs from now on; the old one stays trusted for --grace',
    usage: '--type user|host|db-client --grace 1h [--algorithm ecdsa-p256|rsa-2048]',
    options: { type: { type: 'string' }, grace: { type: 'string' }, algorithm: { type: 'string' } },
    async run(ctx) {
      const auth = await loadAuth();
      const type = readCaType(auth, requireString(ctx, 'type'));
      const graceMs = parseDurationOption(requireString(ctx, 'grace'), 'grace');
      const algorithm = readAlgorithm(auth, optionalString(ctx, 'algorithm'));
      const format = resolveFormat(ctx);
      const authorities = await (await openCliState(ctx)).openAuthorities();
      const now = new Date();
      // Compare-and-swap on the CA this run saw: of two operators rotating at once, one wins.
      const expectActive = authorities.list(type)[0]!.id;
      await authorities.rotate(
        type,
        algorithm ? { graceMs, now, algorithm, expectActive } : { graceMs, now, expectActive },
      );
      const trusted = authorities.trustedCas(type, now);
      writeListing(ctx, trusted, HEADERS, toRow(now), (r) => toJson(r, now));
      if (format === 'table' && type === 'db-client') {
        ctx.stdout.write(
          "update every database's ssl-ca with 'gatectl auth export --type db-client' before the grace period ends\n",
        );
      }
      return 0;
    },
  },
  {
    name: 'ca ls',
    summary: 'list every CA generation: active, in its grace period, or retired',
    async run(ctx) {
      const auth = await loadAuth();
      const authorities = await (await openCliState(ctx)).openAuthorities();
      const now = new Date();
      const all = auth.CA_TYPES.flatMap((type) => authorities.list(type));
      writeListing(ctx, all, HEADERS, toRow(now), (r) => toJson(r, now));
      return 0;
    },
  },
  {
    name: 'auth export',
    summary: "print the PEM bundle of a CA's trusted certificates (db-client: a database's ssl-ca)",
    usage: '--type user|host|db-client',
    options: { type: { type: 'string' } },
    async run(ctx) {
      const auth = await loadAuth();
      const type = readCaType(auth, requireString(ctx, 'type'));
      resolveFormat(ctx);
      const authorities = await (await openCliState(ctx)).openAuthorities();
      const now = new Date();
      const json = authorities.trustedCas(type, now).map((r) => ({ ...toJson(r, now), pem: r.certificate }));
      writeResult(ctx, json, authorities.exportPem(type, now));
      return 0;
    },
  },
];
