import { readFile } from 'node:fs/promises';
import {
  fetchMysqlVersion,
  formatMysqlAddress,
  parseMysqlAddress,
  type TlsMode,
  type UpstreamTlsOptions,
} from '@gatehouse/mysql-protocol';
import { type Command, UsageError } from '../command.js';
import { resolveDataDir, resolveFormat, writeJson, writeListing, writeTable } from '../output.js';
import { readRegistrySnapshots, summarizeDatabases } from '../service/registry-snapshot.js';

const DEFAULT_PROBE_TIMEOUT_MS = 5000;

const TLS_MODES: readonly TlsMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/** --tls-mode (default require: report what the server negotiates, verify nothing) and --tls-ca. */
async function probeTls(values: Record<string, unknown>): Promise<UpstreamTlsOptions> {
  const mode = (values['tls-mode'] as string | undefined) ?? (values['tls-ca'] !== undefined ? 'verify-ca' : 'require');
  if (!(TLS_MODES as readonly string[]).includes(mode))
    throw new UsageError(`--tls-mode must be one of ${TLS_MODES.join(', ')}`);
  const caFile = values['tls-ca'] as string | undefined;
  if ((mode === 'verify-ca' || mode === 'verify-full') && caFile === undefined)
    throw new UsageError(`--tls-mode ${mode} needs --tls-ca FILE`);
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = await readFile(caFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --tls-ca ${caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { mode: mode as TlsMode, ...(ca !== undefined ? { ca } : {}) };
}

/** Seconds behind the primary; `stopped` when replication is configured but not running. */
function formatLag(lag: number | null | undefined): string {
  if (lag === undefined) return '-';
  return lag === null ? 'stopped' : `${lag}s`;
}

const probe: Command = {
  name: 'db probe',
  summary: 'connect to a MySQL/MariaDB server and print the version it announces and the TLS it negotiates',
  usage: 'HOST:PORT [--timeout MS] [--tls-mode disable|require|verify-ca|verify-full] [--tls-ca FILE]',
  options: { timeout: { type: 'string' }, 'tls-mode': { type: 'string' }, 'tls-ca': { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, stdout }) {
    const address = parseMysqlAddress(positionals[0]!);
    if (!address)
      throw new UsageError(`'${positionals[0]}' is not an address: expected HOST:PORT, [IPv6]:PORT or a socket path`);
    let timeoutMs = DEFAULT_PROBE_TIMEOUT_MS;
    if (values.timeout !== undefined) {
      timeoutMs = Number(values.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw new UsageError(`--timeout must be a positive number of milliseconds`);
    }
    const format = resolveFormat({ values });
    const tls = await probeTls(values);
    // With no TLS option given, a server that offers no TLS is reported as such, not an error.
    const tlsOptional = values['tls-mode'] === undefined && values['tls-ca'] === undefined;
    const result = await fetchMysqlVersion(address, { timeoutMs, tls, tlsOptional });
    if (format === 'json') {
      writeJson(stdout, {
        address: formatMysqlAddress(address),
        version: result.version,
        elapsedMs: result.elapsedMs,
        ...(result.tls !== undefined ? { tls: { protocol: result.tls.protocol, cipher: result.tls.cipher } } : {}),
      });
    } else {
      const tlsText = result.tls !== undefined ? `${result.tls.protocol} ${result.tls.cipher}` : 'no TLS';
      stdout.write(
        `${result.version}\t${tlsText}\t(${formatMysqlAddress(address)}, ${result.elapsedMs.toFixed(1)} ms)\n`,
      );
    }
    return 0;
  },
};

const list: Command = {
  name: 'db ls',
  summary: 'list databases, the engines that serve them, their health and server version',
  async run(ctx) {
    const dataDir = resolveDataDir(ctx);
    const rows = summarizeDatabases(await readRegistrySnapshots(dataDir));
    writeListing(ctx, rows, ['NAME', 'HEALTH', 'VERSION', 'TLS', 'ENGINES', 'LABELS'], (r) => [
      r.name,
      r.health,
      r.serverVersion || '-',
      r.tls || '-',
      r.engines.map((e) => e.engineId).join(',') || '-',
      Object.entries(r.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    ]);
    // Clusters get a second table, one line per backend per engine; one-server databases whose
    // monitor has no login (roles unknown) keep the one-table listing.
    const backends = rows.flatMap((r) => r.backends.map((b) => ({ db: r.name, ...b })));
    const clustered = rows.some(
      (r) => new Set(r.backends.map((b) => b.uri)).size > 1 || r.backends.some((b) => b.role !== 'unknown'),
    );
    if (clustered && resolveFormat(ctx) !== 'json') {
      ctx.stdout.write('\n');
      writeTable(
        ctx.stdout,
        ['DATABASE', 'BACKEND', 'ROLE', 'HEALTH', 'LAG', 'VERSION', 'ENGINE'],
        backends.map((b) => [
          b.db,
          b.uri,
          b.role,
          b.health,
          formatLag(b.lagSeconds),
          b.serverVersion || '-',
          b.engineId,
        ]),
      );
    }
    if (rows.length === 0 && resolveFormat(ctx) !== 'json') {
      ctx.stderr.write(`no databases registered: is gatehouse running with data dir ${dataDir}?\n`);
    }
    return 0;
  },
};

/** gatectl commands of the db area. */
export const dbCommands: Command[] = [list, probe];
