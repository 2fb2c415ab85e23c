// Protocol compression (CLIENT_COMPRESS) on the client leg, in each deployment shape: the mariadb
// CLI with --compress and mysql2 with compress: true get what they get from the database directly,
// for a 20 MiB row (both ways), a multi-statement query and prepared statements, and say that
// the session is compressed. Each comparison runs the same client against MariaDB directly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { findExecutable } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { type CliOutcome, mariadbCli } from './clients.js';
import type { Cluster, UserCerts } from './cluster.js';

interface CompressionTestContext {
  readonly cluster: () => Cluster;
  readonly alice: () => UserCerts;
}

/** The same statements, a 20 MiB row among them, that both sides answer. */
export const CLI_SCRIPT = [
  // 20 MiB: 327,680 copies of a 64-character hash, compressible but not trivially.
  "SELECT LENGTH(REPEAT(SHA2('gatehouse', 256), 327680)) AS n, REPEAT(SHA2('gatehouse', 256), 327680) AS big",
  "SELECT 1 AS a, 'one' AS b; SELECT 2 AS c UNION ALL SELECT 3",
  "PREPARE s FROM 'SELECT ? * 2 AS doubled, CONCAT(?, ''!'') AS shout'",
  "SET @n = 21, @w = 'hey'",
  'EXECUTE s USING @n, @w',
  'DEALLOCATE PREPARE s',
].join(';\n');

function runCli(cli: string, args: readonly string[]): Promise<CliOutcome> {
  return new Promise((resolve) => {
    execFile(cli, args, { maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The mariadb CLI straight to the database as app_rw (x509), with `args`. */
export async function directCli(cluster: Cluster, args: readonly string[]): Promise<CliOutcome> {
  const cli = findExecutable(['mariadb', 'mysql']);
  if (!cli) throw new Error('the mariadb client is not installed');
  const certs = await cluster.db.issueClientCert('app_rw');
  return runCli(cli, [
    '--no-defaults',
    '--protocol=TCP',
    '-h',
    '127.0.0.1',
    '-P',
    String(cluster.db.port),
    '--user=app_rw',
    `--ssl-ca=${cluster.db.ca.caFile}`,
    `--ssl-cert=${certs.certFile}`,
    `--ssl-key=${certs.keyFile}`,
    '--batch',
    '--skip-column-names',
    ...args,
  ]);
}

export async function directMysql2(cluster: Cluster, options: mysql.ConnectionOptions): Promise<mysql.Connection> {
  const certs = await cluster.db.issueClientCert('app_rw');
  return mysql.createConnection({
    host: '127.0.0.1',
    port: cluster.db.port,
    user: 'app_rw',
    database: 'app',
    ssl: {
      ca: cluster.db.ca.caPem,
      cert: readFileSync(certs.certFile, 'utf8'),
      key: readFileSync(certs.keyFile, 'utf8'),
    },
    ...options,
  });
}

export function gatewayMysql2(
  cluster: Cluster,
  alice: UserCerts,
  options: mysql.ConnectionOptions,
): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port: cluster.mysqlPort,
    ssl: { ca: alice.cas, cert: alice.cert, key: alice.key },
    ...options,
  });
}

/** Whether mysql2 turned compression on: it does only when the greeting offered CLIENT_COMPRESS. */
export function compressionOn(conn: mysql.Connection): boolean {
  const core = (conn as unknown as { connection: { config: { compress: number | boolean } } }).connection;
  return Boolean(core.config.compress);
}

/** What one mysql2 connection reads for the comparison; `blob` went in as a 20 MiB parameter. */
export async function mysql2Results(conn: mysql.Connection, table: string, blob: Buffer): Promise<unknown[]> {
  await conn.query(`CREATE TABLE IF NOT EXISTS ${table} (id INT PRIMARY KEY, b LONGBLOB)`);
  await conn.query(`DELETE FROM ${table}`);
  const [inserted] = await conn.execute(`INSERT INTO ${table} VALUES (1, ?)`, [blob]);
  const [text] = await conn.query(`SELECT id, b, LENGTH(b) AS n FROM ${table}`);
  const [binary] = await conn.execute(`SELECT b FROM ${table} WHERE id = ?`, [1]);
  const [multi] = await conn.query("SELECT 1 AS a, 'one' AS b; SELECT 2 AS c UNION ALL SELECT 3");
  const [prepared] = await conn.execute('SELECT ? * 2 AS doubled, CONCAT(?, ?) AS shout, NULL AS nothing', [
    21,
    'hey',
    '!',
  ]);
  await conn.query(`DROP TABLE ${table}`);
  const rowOf = (rows: unknown) => {
    const r = (rows as Array<{ b: Buffer }>)[0]!;
    assert.ok(r.b.equals(blob), 'the 20 MiB value reads back as written');
    return { ...r, b: r.b.length };
  };
  return [(inserted as { affectedRows: number }).affectedRows, rowOf(text), rowOf(binary), multi, prepared];
}

/** 20 MiB, mostly zeros with a pattern (compresses), and a stretch of noise (stored as is). */
export function bigBlob(): Buffer {
  const blob = Buffer.alloc(20 * 1024 * 1024);
  for (let i = 0; i < blob.length; i += 512) blob[i] = (i / 512) % 251;
  let x = 7;
  for (let i = 8 * 1024 * 1024; i < 9 * 1024 * 1024; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    blob[i] = x >>> 24;
  }
  return blob;
}

export function defineCompressionTests(ctx: CompressionTestContext): void {
  test('mariadb --compress: the session is compressed, and a 20 MiB row, a multi-statement query and PREPARE read as direct', async () => {
    const cluster = ctx.cluster();
    const alice = ctx.alice();
    const status = await mariadbCli(cluster, alice, ['--compress', '-e', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Protocol:\s+Compressed/);
    // The line is the client's own report: without --compress it is not there.
    const plain = await mariadbCli(cluster, alice, ['-e', 'status']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /Protocol:\s+Compressed/);

    const args = ['--compress', '--max-allowed-packet=64M', '--database=app', '-e', CLI_SCRIPT];
    const direct = await directCli(cluster, args);
    assert.equal(direct.code, 0, direct.stderr);
    const through = await mariadbCli(cluster, alice, args);
    assert.equal(through.code, 0, through.stderr);
    assert.ok(through.stdout.length > 20 * 1024 * 1024, `${through.stdout.length} bytes of output`);
    assert.ok(through.stdout === direct.stdout, 'the gateway output equals the direct output');
  });

  test('mysql2 with compress: true: a 20 MiB parameter and row, a multi-statement query and execute() read as direct', async () => {
    const cluster = ctx.cluster();
    const blob = bigBlob();
    const options = { compress: true, multipleStatements: true, maxPreparedStatements: 16 };
    const direct = await directMysql2(cluster, options);
    let expected: unknown[];
    try {
      assert.equal(compressionOn(direct), true, 'MariaDB offers compression');
      expected = await mysql2Results(direct, 't_compress_direct', blob);
    } finally {
      await direct.end();
    }
    const conn = await gatewayMysql2(cluster, ctx.alice(), options);
    // mysql2 warns when a packet's own sequence id is not the one it expects. Direct, MariaDB
    // triggers it after the 20 MiB parameter (it numbers its reply from the compressed ids); the
    // gateway relays the database leg's plain numbering, which is what mysql2 expects.
    const warnings: string[] = [];
    (conn as unknown as { connection: NodeJS.EventEmitter }).connection.on('warn', (w: Error) =>
      warnings.push(w.message),
    );
    try {
      assert.equal(compressionOn(conn), true, 'the gateway offered CLIENT_COMPRESS and mysql2 took it');
      assert.deepEqual(await mysql2Results(conn, 't_compress_gateway', blob), expected);
      assert.deepEqual(warnings, []);
      const [after] = await conn.query('SELECT current_user() AS u, database() AS d');
      assert.deepEqual(after, [{ u: 'app_rw@%', d: 'app' }]);
      // The server's own status reports its leg, the engine's, which is not compressed by default
      // (databases[].compression; test/src/database-compression.test.ts turns it on).
      const [status] = await conn.query("SHOW SESSION STATUS LIKE 'Compression'");
      assert.deepEqual(status, [{ Variable_name: 'Compression', Value: 'OFF' }]);
    } finally {
      await conn.end();
    }
  });
}
