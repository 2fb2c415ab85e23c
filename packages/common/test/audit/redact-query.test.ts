import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { redactQuery } from '../../src/audit/index.js';

// [statement, expected text after redaction]
const TABLE: Array<[string, string]> = [
  ["CREATE USER 'bob'@'%' IDENTIFIED BY 's3cret'", "CREATE USER 'bob'@'%' IDENTIFIED BY '***'"],
  ["create user bob identified by 's3cret'", "create user bob identified by '***'"],
  ['CREATE USER bob IDENTIFIED BY "s3cret"', "CREATE USER bob IDENTIFIED BY '***'"],
  ["CREATE USER bob IDENTIFIED BY 'it\\'s'", "CREATE USER bob IDENTIFIED BY '***'"],
  ["CREATE USER bob IDENTIFIED BY 'it''s' REQUIRE SSL", "CREATE USER bob IDENTIFIED BY '***' REQUIRE SSL"],
  [
    "CREATE USER bob IDENTIFIED WITH caching_sha2_password BY 'pw'",
    "CREATE USER bob IDENTIFIED WITH caching_sha2_password BY '***'",
  ],
  [
    "CREATE USER bob IDENTIFIED WITH 'mysql_native_password' AS '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
    "CREATE USER bob IDENTIFIED WITH 'mysql_native_password' AS '***'",
  ],
  [
    "CREATE USER bob IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
    "CREATE USER bob IDENTIFIED BY PASSWORD '***'",
  ],
  [
    "CREATE USER bob IDENTIFIED VIA ed25519 USING PASSWORD('pw') OR unix_socket",
    "CREATE USER bob IDENTIFIED VIA ed25519 USING PASSWORD('***') OR unix_socket",
  ],
  ["CREATE USER bob IDENTIFIED VIA ed25519 USING 'hash'", "CREATE USER bob IDENTIFIED VIA ed25519 USING '***'"],
  ["ALTER USER bob IDENTIFIED BY 'new' REPLACE 'old'", "ALTER USER bob IDENTIFIED BY '***' REPLACE '***'"],
  [
    "CREATE USER a IDENTIFIED BY 'p1', 'carol'@'%' IDENTIFIED BY 'p2'",
    "CREATE USER a IDENTIFIED BY '***', 'carol'@'%' IDENTIFIED BY '***'",
  ],
  [
    "GRANT SELECT ON app.* TO 'bob'@'%' IDENTIFIED BY 'pw' WITH GRANT OPTION",
    "GRANT SELECT ON app.* TO 'bob'@'%' IDENTIFIED BY '***' WITH GRANT OPTION",
  ],
  ["SET PASSWORD = PASSWORD('pw')", "SET PASSWORD = PASSWORD('***')"],
  ["SET PASSWORD FOR 'bob'@'%' = 'pw'", "SET PASSWORD FOR 'bob'@'%' = '***'"],
  ["set password for bob = password('pw')", "set password for bob = password('***')"],
  ["SET PASSWORD TO 'pw' REPLACE 'old'", "SET PASSWORD TO '***' REPLACE '***'"],
  ["SELECT PASSWORD('pw'), OLD_PASSWORD('pw2')", "SELECT PASSWORD('***'), OLD_PASSWORD('***')"],
  ["SELECT PASSWORD ( /* c */ 'pw' )", "SELECT PASSWORD ( /* c */ '***' )"],
  ["CREATE USER bob IDENTIFIED BY /* note */ 'pw'", "CREATE USER bob IDENTIFIED BY /* note */ '***'"],
  ["CREATE USER bob IDENTIFIED -- note\n BY 'pw'", "CREATE USER bob IDENTIFIED -- note\n BY '***'"],
  ["CREATE USER bob IDENTIFIED # note\n BY 'pw'", "CREATE USER bob IDENTIFIED # note\n BY '***'"],
  ["CREATE USER bob /*!80000 IDENTIFIED BY 'pw' */", "CREATE USER bob /*!80000 IDENTIFIED BY '***' */"],
  ["CREATE USER bob IDENTIFIED BY _utf8mb4'pw'", "CREATE USER bob IDENTIFIED BY '***'"],
  ["CREATE USER bob IDENTIFIED BY 'pw' 'more'", "CREATE USER bob IDENTIFIED BY '***' '***'"],
  ["CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD='pw'", "CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD='***'"],
  [
    "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD 'pw')",
    "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD '***')",
  ],
  [
    "CREATE USER bob IDENTIFIED BY 'pw' REQUIRE SUBJECT '/CN=bob'",
    "CREATE USER bob IDENTIFIED BY '***' REQUIRE SUBJECT '/CN=bob'",
  ],
  ["CREATE USER bob IDENTIFIED BY 'unterminated", "CREATE USER bob IDENTIFIED BY '***'"],
  // Nothing secret: left alone, including the word in a comment or an identifier.
  ["SELECT 'IDENTIFIED BY x' FROM t", "SELECT 'IDENTIFIED BY x' FROM t"],
  ['SELECT `password` FROM users', 'SELECT `password` FROM users'],
  ["SELECT * FROM t WHERE name = 'bob' -- password\n", "SELECT * FROM t WHERE name = 'bob' -- password\n"],
  [
    "ALTER USER bob PASSWORD EXPIRE INTERVAL 90 DAY COMMENT 'x'",
    "ALTER USER bob PASSWORD EXPIRE INTERVAL 90 DAY COMMENT 'x'",
  ],
  ['SELECT 1', 'SELECT 1'],
];

test('redaction table', () => {
  assert.ok(TABLE.length >= 20);
  for (const [sql, expected] of TABLE) {
    const r = redactQuery(sql);
    assert.equal(r.text, expected, sql);
    assert.equal(r.redacted, sql !== expected, sql);
  }
});

test('under NO_BACKSLASH_ESCAPES a backslash ends the literal, and the next secret is still redacted', () => {
  const sql = "CREATE USER a IDENTIFIED BY 'x\\', b IDENTIFIED BY 'topsecret'";
  assert.doesNotMatch(redactQuery(sql).text, /topsecret/);
});

test('placeholders in secret positions are reported by ordinal', () => {
  assert.deepEqual(redactQuery('CREATE USER ? IDENTIFIED BY ?').secretPlaceholders, [1]);
  assert.deepEqual(redactQuery('SELECT ?, PASSWORD(?), ?').secretPlaceholders, [1]);
  assert.deepEqual(redactQuery('SET PASSWORD FOR ? = ?').secretPlaceholders, [1]);
  assert.deepEqual(redactQuery('SELECT ? FROM t WHERE a = ?').secretPlaceholders, []);
});

// --- fuzz -------------------------------------------------------------------------------------

test('fuzz: secrets after the keywords never leak, whatever the case, quotes, escapes and comments', () => {
  const random = createSeededRandom(0x5eed).next;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const word = (w: string): string => [...w].map((c) => (random() < 0.5 ? c.toLowerCase() : c.toUpperCase())).join('');
  const gap = (): string => pick([' ', '  ', '\n', '\t', ' /* c */ ', ' -- c\n', ' # c\n', '/**/']);
  const quote = (secret: string): string => {
    const q = pick(["'", '"']);
    const body = secret.replaceAll('\\', '\\\\').replaceAll(q, random() < 0.5 ? `\\${q}` : q + q);
    return `${pick(['', '', '_utf8mb4', 'N'])}${q}${body}${q}`;
  };
  const templates: Array<(s: string) => string> = [
    (s) =>
      `${word('create')}${gap()}${word('user')} bob${gap()}${word('identified')}${gap()}${word('by')}${gap()}${quote(s)}`,
    (s) =>
      `ALTER USER 'bob'@'%'${gap()}${word('identified')} ${word('with')} caching_sha2_password${gap()}${word('by')}${gap()}${quote(s)}`,
    (s) => `CREATE USER bob ${word('identified')} BY ${word('password')}${gap()}${quote(s)}`,
    (s) => `${word('set')}${gap()}${word('password')} FOR 'bob'@'%'${gap()}=${gap()}${quote(s)}`,
    (s) => `SET PASSWORD = ${word('password')}${gap()}(${gap()}${quote(s)}${gap()})`,
    (s) => `GRANT ALL ON *.* TO bob ${word('identified')} BY ${quote(s)} WITH GRANT OPTION`,
    (s) =>
      `CREATE USER bob ${word('identified')} ${word('via')} ed25519 ${word('using')} ${word('password')}(${quote(s)})`,
    (s) => `ALTER USER bob IDENTIFIED BY 'x' ${word('replace')}${gap()}${quote(s)}`,
    (s) => `SELECT ${word('password')}(${quote(s)})`,
  ];
  const alphabet = 'abcXYZ019\'"\\`;,()#-*/ \n';
  for (let i = 0; i < 3000; i++) {
    const marker = `K${Math.floor(random() * 1e9).toString(36)}Q`;
    let noise = '';
    for (let j = Math.floor(random() * 6); j > 0; j--) noise += alphabet[Math.floor(random() * alphabet.length)];
    const secret = `${noise.slice(0, 3)}${marker}${noise.slice(3)}`;
    const sql = pick(templates)(secret);
    const out = redactQuery(sql).text;
    assert.ok(!out.includes(marker), `leaked ${marker} from ${JSON.stringify(sql)} as ${JSON.stringify(out)}`);
  }
});

test('fuzz: random text never throws and the output keeps everything outside literals', () => {
  const random = createSeededRandom(42).next;
  const pieces = [
    "'",
    '"',
    '`',
    '\\',
    '/*',
    '*/',
    '/*!',
    '--',
    '-- ',
    '#',
    '\n',
    ';',
    '(',
    ')',
    '=',
    ',',
    '?',
    'IDENTIFIED',
    'BY',
    'PASSWORD',
    'SET',
    'WITH',
    'VIA',
    'USING',
    'REPLACE',
    '_latin1',
    'x',
    ' ',
    'é',
    '\u{1F600}',
  ];
  for (let i = 0; i < 5000; i++) {
    let sql = '';
    for (let j = Math.floor(random() * 30); j > 0; j--) sql += pieces[Math.floor(random() * pieces.length)];
    const r = redactQuery(sql);
    assert.equal(typeof r.text, 'string');
    if (!r.redacted) assert.equal(r.text, sql);
    for (const p of r.secretPlaceholders) assert.ok(Number.isInteger(p) && p >= 0);
  }
});
