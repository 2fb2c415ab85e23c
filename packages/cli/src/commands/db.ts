import { fetchMysqlVersion, formatMysqlAddress, parseMysqlAddress } from '@gatehouse/mysql-protocol';
import { type Command, UsageError } from '../command.js';
import { resolveDataDir, resolveFormat, writeJson, writeListing } from '../output.js';
import { readRegistrySnapshots, summarizeDatabases } from '../service/registry-snapshot.js';

const DEFAULT_PROBE_TIMEOUT_MS = 5000;

const probe: Command = {
  name: 'db probe',
  summary: 'connect to a MySQL/MariaDB server and print the version it announces',
  usage: 'HOST:PORT [--timeout MS]',
  options: { timeout: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, stdout }) {
    const address = parseMysqlAddress(positionals[0]!);
    if (!address) throw new UsageError(`'${positionals[0]}' is not an address: expected HOST:PORT, [IPv6]:PORT or a socket path`);
    let timeoutMs = DEFAULT_PROBE_TIMEOUT_MS;
    if (values.timeout !== undefined) {
      timeoutMs = Number(values.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds`);
    }
    const format = resolveFormat({ values });
    const result = await fetchMysqlVersion(address, { timeoutMs });
    if (format === 'json') {
      writeJson(stdout, { address: formatMysqlAddress(address), version: result.version, elapsedMs: result.elapsedMs });
    } else {
      stdout.write(`${result.version}\t(${formatMysqlAddress(address)}, ${result.elapsedMs.toFixed(1)} ms)\n`);
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
    writeListing(
      ctx,
      rows,
      ['NAME', 'HEALTH', 'VERSION', 'ENGINES', 'LABELS'],
      (r) => [
        r.name,
        r.health,
        r.serverVersion || '-',
        r.engines.map((e) => e.engineId).join(',') || '-',
        Object.entries(r.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ],
    );
    if (rows.length === 0 && resolveFormat(ctx) !== 'json') {
      ctx.stderr.write(`no databases registered: is gatehouse running with data dir ${dataDir}?\n`);
    }
    return 0;
  },
};

/** gatectl commands of the db area. */
export const dbCommands: Command[] = [list, probe];
