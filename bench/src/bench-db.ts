// The bench's own MariaDB: TLS on, a user that logs in only with a client certificate
// (REQUIRE SUBJECT), trusting the harness CA and every Gatehouse db-client CA.
import { readFileSync } from 'node:fs';
import { type IssuedFiles, type MariaDb, startMariaDb } from '@gatehouse/testing';
import type { BenchProfile } from './profile.js';
import type { BenchDatabase, ClientTls } from './targets/target.js';

export const DB_USER = 'bench';
export const DATABASE = 'sbtest';
/** The database role and admin of gatehouse-1proc-autouser (docs/db-users.md). */
export const DB_ROLE = 'bench_role';
export const DB_ADMIN = 'gatehouse_admin';

export interface BenchDb {
  readonly db: MariaDb;
  readonly info: BenchDatabase;
  /** The direct client's TLS files: MariaDB's server CA and a cert with CN=bench. */
  readonly directTls: ClientTls;
  /**
   * A server certificate for 127.0.0.1 and localhost signed by the CA in `directTls.caFile`, so
   * the direct client's files trust it (the tls-relay target's).
   */
  issueServerCert(name: string): Promise<IssuedFiles>;
}

/**
 * Starts MariaDB trusting the harness CA (for the direct client's cert) and `trustPems` (every
 * Gatehouse db-client CA, made before MariaDB starts because it reads ssl-ca only at startup).
 */
export async function startBenchDb(trustPems: readonly string[], profile: BenchProfile): Promise<BenchDb> {
  // The bulk read's 256 MiB travels as rows, not as one packet; the 64 MiB INSERT is one
  // statement, so the redo log must hold it without a checkpoint storm.
  const bufferPoolMiB = Math.max(
    256,
    Math.ceil((profile.sysbenchTables * profile.sysbenchTableSize * 260) / 2 ** 20) * 2,
  );
  const db = await startMariaDb({
    shared: false,
    ...(trustPems.length > 0 ? { trustCaPem: trustPems.map((p) => p.trim()).join('\n') } : {}),
    args: [
      '--max-connections=5000',
      `--innodb-buffer-pool-size=${bufferPoolMiB}M`,
      '--innodb-log-file-size=256M',
      '--thread-cache-size=256',
      '--table-open-cache=4000',
      '--max-prepared-stmt-count=1000000',
    ],
  });
  try {
    await db.sql(
      [
        `CREATE DATABASE ${DATABASE}`,
        `CREATE USER '${DB_USER}'@'%' REQUIRE SUBJECT '/CN=${DB_USER}'`,
        `GRANT ALL ON ${DATABASE}.* TO '${DB_USER}'@'%'`,
        `CREATE ROLE ${DB_ROLE}`,
        `GRANT ALL ON ${DATABASE}.* TO ${DB_ROLE}`,
        `CREATE USER '${DB_ADMIN}'@'%' REQUIRE SUBJECT '/CN=${DB_ADMIN}'`,
        `GRANT CREATE USER, PROCESS ON *.* TO '${DB_ADMIN}'@'%'`,
        `GRANT SELECT ON mysql.user TO '${DB_ADMIN}'@'%'`,
        `GRANT ALL ON gatehouse.* TO '${DB_ADMIN}'@'%'`,
        `GRANT ${DB_ROLE} TO '${DB_ADMIN}'@'%' WITH ADMIN OPTION`,
        `CREATE TABLE ${DATABASE}.bulk_write (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1024) NOT NULL) ENGINE=InnoDB`,
      ].join('; '),
    );
    const [row] = await db.sql('SELECT @@pid_file AS f');
    const pid = Number(readFileSync(String(row?.f), 'utf8').trim());
    const cert = await db.issueClientCert(DB_USER);
    return {
      db,
      info: { host: db.host, port: db.port, serverCaFile: db.ca.caFile, dbUser: DB_USER, database: DATABASE, pid },
      directTls: { caFile: db.ca.caFile, ...cert },
      issueServerCert: (name) =>
        db.ca.issue({ name, subject: `/CN=${name}`, sans: ['DNS:localhost', 'IP:127.0.0.1'], usage: 'server' }),
    };
  } catch (err) {
    await db.stop();
    throw err;
  }
}
