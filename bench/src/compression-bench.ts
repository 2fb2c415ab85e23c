// What protocol compression (CLIENT_COMPRESS) costs per query and saves on a bulk read, on each
// leg, in one run: mysql2 with compress off and on, straight to MariaDB and through one-process
// gateways whose database leg is plain (gatehouse-1proc) or compressed (gatehouse-1proc-dbzip).
// Per query: sequential point selects (a ~100-byte row), the client's wall time and the gateway's
// CPU per query. Bulk read: one SELECT of the whole table, its time, the bytes the client read,
// and the bytes MariaDB sent on its own leg (Bytes_sent). Variants alternate round by round.
//
//   npm run build && npm run bench:compression -w bench [-- --short]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import { type BenchDb, startBenchDb } from './bench-db.js';
import { readTotalCpuMicros } from './proc-stats.js';
import { FULL_PROFILE, SHORT_PROFILE } from './profile.js';
import { createDirectTarget } from './targets/direct.js';
import { createGatehouseTarget } from './targets/gatehouse.js';
import type { Endpoint, Target } from './targets/target.js';

const short = process.argv.includes('--short');
const ROWS = short ? 100_000 : 400_000;
const POINT_QUERIES = short ? 1_000 : 4_000;
const ROUNDS = short ? 2 : 3;

interface Variant {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly compress: boolean;
  /** The gateway's processes, for CPU per query; none for direct. */
  readonly pids: () => readonly number[];
}

interface Sample {
  pointUs: number[];
  cpuUs: number[];
  bulkMs: number[];
  clientBytes: number;
  dbBytes: number;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function connect(variant: Variant): Promise<Connection> {
  const { endpoint } = variant;
  return createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    database: endpoint.database,
    ssl: {
      ca: readFileSync(endpoint.tls.caFile, 'utf8'),
      cert: readFileSync(endpoint.tls.certFile, 'utf8'),
      key: readFileSync(endpoint.tls.keyFile, 'utf8'),
    },
    compress: variant.compress,
    rowsAsArray: true,
  });
}

async function bytesSent(conn: Connection): Promise<number> {
  const [rows] = await conn.query("SHOW SESSION STATUS LIKE 'Bytes_sent'");
  return Number((rows as unknown as Array<[string, string]>)[0]![1]);
}

/** The bytes mysql2 read from its socket (TLS records included). */
function socketBytesRead(conn: Connection): number {
  return (conn as unknown as { connection: { stream: { bytesRead: number } } }).connection.stream.bytesRead;
}

async function measure(variant: Variant, sample: Sample): Promise<void> {
  const conn = await connect(variant);
  try {
    const core = (conn as unknown as { connection: { config: { compress: unknown } } }).connection;
    if (Boolean(core.config.compress) !== variant.compress)
      throw new Error(`${variant.name}: compression was not negotiated as asked`);
    await conn.query('SELECT 1');
    let x = 12345;
    const pids = variant.pids();
    const cpuBefore = readTotalCpuMicros(pids);
    const started = performance.now();
    for (let i = 0; i < POINT_QUERIES; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      await conn.query(`SELECT id, name, note FROM cmp_rows WHERE id = ${(x % ROWS) + 1}`);
    }
    sample.pointUs.push(((performance.now() - started) * 1000) / POINT_QUERIES);
    if (pids.length > 0) sample.cpuUs.push((readTotalCpuMicros(pids) - cpuBefore) / POINT_QUERIES);

    const dbBefore = await bytesSent(conn);
    const readBefore = socketBytesRead(conn);
    const bulkStarted = performance.now();
    const [rows] = await conn.query('SELECT id, name, note FROM cmp_rows');
    sample.bulkMs.push(performance.now() - bulkStarted);
    if ((rows as unknown[]).length !== ROWS)
      throw new Error(`${variant.name}: ${(rows as unknown[]).length} rows, expected ${ROWS}`);
    sample.clientBytes = socketBytesRead(conn) - readBefore;
    sample.dbBytes = (await bytesSent(conn)) - dbBefore;
  } finally {
    await conn.end();
  }
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const profile = short ? SHORT_PROFILE : FULL_PROFILE;
  const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-compression-'));
  let benchDb: BenchDb | undefined;
  const gateways: Target[] = [createGatehouseTarget('gatehouse-1proc'), createGatehouseTarget('gatehouse-1proc-dbzip')];
  try {
    const trust: string[] = [];
    for (const t of gateways) {
      const dir = join(workDir, t.name);
      mkdirSync(dir, { recursive: true });
      trust.push(...(await t.prepare({ dir })).trustPems);
    }
    benchDb = await startBenchDb(trust, profile);
    const db = benchDb;
    log(`MariaDB ${db.db.version}: filling cmp_rows with ${ROWS} rows`);
    await db.db.sql(
      [
        'CREATE TABLE sbtest.cmp_rows (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, note VARCHAR(255) NOT NULL) ENGINE=InnoDB',
        // Text that compresses the way application rows do: names, hashes, repeated vocabulary.
        `INSERT INTO sbtest.cmp_rows SELECT seq, CONCAT('user-', seq), CONCAT(MD5(seq), ' status=active plan=standard region=eu-west-', seq % 7, ' since=2026-', 1 + seq % 12) FROM sbtest.seq_1_to_${ROWS}`,
      ].join('; '),
    );
    const direct = createDirectTarget(() => db.directTls);
    const directEndpoint = await direct.start(db.info);
    const [plainGateway, zipGateway] = [await gateways[0]!.start(db.info), await gateways[1]!.start(db.info)];
    const none = (): readonly number[] => [];
    const variants: Variant[] = [
      { name: 'direct', endpoint: directEndpoint, compress: false, pids: none },
      { name: 'direct, compressed', endpoint: directEndpoint, compress: true, pids: none },
      { name: 'gateway', endpoint: plainGateway, compress: false, pids: () => gateways[0]!.pids() },
      {
        name: 'gateway, client leg compressed',
        endpoint: plainGateway,
        compress: true,
        pids: () => gateways[0]!.pids(),
      },
      {
        name: 'gateway, database leg compressed',
        endpoint: zipGateway,
        compress: false,
        pids: () => gateways[1]!.pids(),
      },
      { name: 'gateway, both legs compressed', endpoint: zipGateway, compress: true, pids: () => gateways[1]!.pids() },
    ];
    const samples = new Map<string, Sample>(
      variants.map((v) => [v.name, { pointUs: [], cpuUs: [], bulkMs: [], clientBytes: 0, dbBytes: 0 }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        await measure(v, samples.get(v.name)!);
        log(`round ${round + 1}/${ROUNDS}: ${v.name} done`);
      }
    }
    const base = samples.get('gateway')!;
    const directBase = samples.get('direct')!;
    const lines = [
      `Protocol compression, MariaDB ${db.db.version}, ${ROWS} rows of ~100 bytes, ${POINT_QUERIES} point selects per round, median of ${ROUNDS} rounds${short ? ' (--short)' : ''}`,
      '',
      '| Variant | point select, µs | × direct | gateway CPU µs/query | × gateway | bulk read, ms | × direct | client read, MiB | database sent, MiB |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const v of variants) {
      const s = samples.get(v.name)!;
      const cpu = s.cpuUs.length > 0 ? median(s.cpuUs) : undefined;
      lines.push(
        `| ${v.name} | ${median(s.pointUs).toFixed(0)} | ${(median(s.pointUs) / median(directBase.pointUs)).toFixed(2)} | ${cpu === undefined ? '–' : cpu.toFixed(0)} | ${cpu === undefined ? '–' : (cpu / median(base.cpuUs)).toFixed(2)} | ${median(s.bulkMs).toFixed(0)} | ${(median(s.bulkMs) / median(directBase.bulkMs)).toFixed(2)} | ${(s.clientBytes / 2 ** 20).toFixed(1)} | ${(s.dbBytes / 2 ** 20).toFixed(1)} |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const t of gateways) await t.stop().catch(() => {});
    await benchDb?.db.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `compression bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
