// The real clients the end-to-end tests drive: the mariadb CLI and mysql2.
import { execFile } from 'node:child_process';
import { findExecutable } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import type { Cluster, UserCerts } from './cluster.js';

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the mariadb CLI through the proxy with the person's certificate. The CLI sends the OS
 * user name when given none, and a name in the handshake overrides the certificate's db user,
 * so it sends the certificate's db user unless told otherwise.
 */
export function mariadbCli(
  cluster: Cluster,
  certs: UserCerts | undefined,
  args: readonly string[],
  options: { user?: string; database?: string; stdin?: string } = {},
): Promise<CliOutcome> {
  const [cli, full] = mariadbCommand(cluster, certs, args, options);
  return new Promise((resolve) => {
    const child = execFile(cli, full, { maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    else child.stdin?.end();
  });
}

/** The mariadb CLI's path and arguments for a session through the proxy (see mariadbCli). */
export function mariadbCommand(
  cluster: Cluster,
  certs: UserCerts | undefined,
  args: readonly string[],
  options: { user?: string; database?: string } = {},
): [string, string[]] {
  const cli = findExecutable(['mariadb', 'mysql']);
  if (!cli) throw new Error('the mariadb client is not installed');
  const tlsArgs = certs
    ? [
        `--ssl-ca=${certs.casFile}`,
        // An empty file name means "TLS without a client certificate".
        ...(certs.certFile ? [`--ssl-cert=${certs.certFile}`, `--ssl-key=${certs.keyFile}`] : []),
        '--ssl-verify-server-cert',
      ]
    : ['--skip-ssl'];
  const user = options.user ?? certs?.dbUser;
  return [
    cli,
    [
      '--no-defaults',
      '--protocol=TCP',
      '-h',
      '127.0.0.1',
      '-P',
      String(cluster.mysqlPort),
      ...(user ? [`--user=${user}`] : []),
      ...tlsArgs,
      '--batch',
      '--skip-column-names',
      ...args,
      ...(options.database ? [options.database] : []),
    ],
  ];
}

/** A mysql2 connection through the proxy with the person's certificate. */
export function connectMysql2(
  cluster: Cluster,
  certs: UserCerts,
  options: { user?: string; database?: string; multipleStatements?: boolean } = {},
): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port: cluster.mysqlPort,
    ...(options.user ? { user: options.user } : {}),
    ...(options.database ? { database: options.database } : {}),
    ssl: { ca: certs.cas, cert: certs.cert, key: certs.key },
    multipleStatements: options.multipleStatements ?? false,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}
