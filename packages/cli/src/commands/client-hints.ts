// What `gatectl auth sign` tells a person to type: command lines for the mariadb and mysql
// clients, a ~/.my.cnf section, and JDBC URLs for a PKCS#12 bundle.
// mariadb: --ssl-verify-server-cert (https://mariadb.com/kb/en/mariadb-command-line-client/);
// mysql 8/9 dropped that flag for --ssl-mode=VERIFY_IDENTITY
// (https://dev.mysql.com/doc/refman/8.0/en/connection-options.html#option_general_ssl-mode), and
// MariaDB's client rejects ssl-mode, so the verify option differs per client.

export interface ClientFiles {
  readonly cert: string;
  readonly key: string;
  readonly cas: string;
}

export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  readonly dbUser: string;
  readonly dbName?: string | undefined;
}

/** Quotes a shell word only when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function commonArgs(target: ClientTarget): string[] {
  return ['--host', target.host, '--port', String(target.port), '--user', target.dbUser];
}

export function mariadbCommand(target: ClientTarget, files: ClientFiles): string {
  const args = [
    'mariadb',
    ...commonArgs(target),
    '--ssl-ca',
    files.cas,
    '--ssl-cert',
    files.cert,
    '--ssl-key',
    files.key,
    '--ssl-verify-server-cert',
    ...(target.dbName ? [target.dbName] : []),
  ];
  return args.map(shellQuote).join(' ');
}

export function mysqlCommand(target: ClientTarget, files: ClientFiles): string {
  const args = [
    'mysql',
    ...commonArgs(target),
    '--ssl-mode=VERIFY_IDENTITY',
    '--ssl-ca',
    files.cas,
    '--ssl-cert',
    files.cert,
    '--ssl-key',
    files.key,
    ...(target.dbName ? [target.dbName] : []),
  ];
  return args.map(shellQuote).join(' ');
}

export function myCnfSection(target: ClientTarget, files: ClientFiles): string {
  return [
    '[client]',
    `host=${target.host}`,
    `port=${target.port}`,
    `user=${target.dbUser}`,
    ...(target.dbName ? [`database=${target.dbName}`] : []),
    `ssl-ca=${files.cas}`,
    `ssl-cert=${files.cert}`,
    `ssl-key=${files.key}`,
    'skip-password',
    '[client-mariadb]',
    'ssl-verify-server-cert',
    '# mysql 8/9 reads no group of its own here: add --ssl-mode=VERIFY_IDENTITY on its command line',
  ].join('\n');
}

/** MariaDB Connector/J and MySQL Connector/J URLs for a PKCS#12 client key store. */
export function jdbcUrls(target: ClientTarget, p12: string, cas: string): { mariadb: string; mysql: string } {
  const base = `${target.host}:${target.port}/${target.dbName ?? ''}`;
  return {
    mariadb: `jdbc:mariadb://${base}?user=${target.dbUser}&sslMode=verify-full&serverSslCert=${cas}&keyStore=file:${p12}&keyStoreType=PKCS12&keyStorePassword=<password>`,
    mysql: `jdbc:mysql://${base}?user=${target.dbUser}&sslMode=VERIFY_IDENTITY&clientCertificateKeyStoreUrl=file:${p12}&clientCertificateKeyStoreType=PKCS12&clientCertificateKeyStorePassword=<password>`,
  };
}
