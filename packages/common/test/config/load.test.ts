import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig, parseConfig } from '../../src/config/index.js';

// Temp dirs this file makes, removed when its tests are done.
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function writeYaml(text: string): string {
  const dir = makeTempDir('gatehouse-config-');
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, text);
  return file;
}

function configError(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'GH_ERR_CONFIG');
    return (err as Error).message;
  }
  assert.fail('expected the config to be rejected');
}

test('no config is the embedded default: every part on, the documented ports', async () => {
  const config = await loadConfig();
  assert.equal(config.auth.enabled, true);
  assert.equal(config.proxy.enabled, true);
  assert.equal(config.engine.enabled, true);
  assert.equal(config.proxy.mysql_listen, '127.0.0.1:3036');
  assert.equal(config.proxy.web_listen, '127.0.0.1:3080');
  assert.equal(config.engine.diag_listen, '127.0.0.1:3082');
  assert.equal(config.proxy.diag_listen, '127.0.0.1:3081');
  assert.equal(config.proxy.limits.handshake_timeout, 10_000);
  assert.match(config.data_dir, /gatehouse-data$/);
});

test('the loaded config is frozen', async () => {
  const config = await loadConfig();
  assert.throws(() => {
    (config.proxy.limits as { max_connections: number }).max_connections = 1;
  }, TypeError);
});

test('a full file parses, with durations in ms and paths resolved against the file', async () => {
  const file = writeYaml(`
version: v1
data_dir: ./state
proxy:
  limits: { max_connections: 50, handshake_timeout: 2s }
  proxy_protocol: { trusted_networks: [10.0.0.0/8, "::1"] }
engine:
  databases:
    - name: local-mariadb
      uri: 127.0.0.1:3306
      labels: { env: dev }
      tls: { mode: verify-ca, ca_file: ca.pem }
      auth: { mode: password, credentials: { app_ro: { password_env: APP_RO_PW } } }
`);
  const config = await loadConfig(file);
  assert.equal(config.proxy.limits.max_connections, 50);
  assert.equal(config.proxy.limits.handshake_timeout, 2_000);
  assert.equal(config.data_dir, join(file, '..', 'state'));
  const db = config.engine.databases[0]!;
  assert.equal(db.tls.ca_file, join(file, '..', 'ca.pem'));
  assert.deepEqual(db.labels, { env: 'dev' });
  assert.equal(db.auth.mode, 'password');
});

const rejected: Array<[string, unknown, RegExp]> = [
  ['an unknown top-level key', { prxy: {} }, /\(top level\): unknown key\(s\) 'prxy'/],
  ['an unknown nested key', { proxy: { limits: { max_conns: 5 } } }, /proxy\.limits: unknown key\(s\) 'max_conns'/],
  [
    'a bad duration',
    { proxy: { limits: { handshake_timeout: 'soon' } } },
    /proxy\.limits\.handshake_timeout: invalid duration 'soon'/,
  ],
  [
    'a listen address without a port',
    { proxy: { mysql_listen: 'localhost' } },
    /proxy\.mysql_listen: expected host:port/,
  ],
  [
    'a relative unix socket path',
    { proxy: { mysql_listen: ['127.0.0.1:3036', 'unix:run/gh.sock'] } },
    /proxy\.mysql_listen/,
  ],
  ['an empty listener list', { proxy: { mysql_listen: [] } }, /proxy\.mysql_listen/],
  [
    'a bad trusted network',
    { proxy: { proxy_protocol: { trusted_networks: ['10.0.0.0/40'] } } },
    /trusted_networks\.0/,
  ],
  ['a negative limit', { proxy: { limits: { max_connections: -1 } } }, /proxy\.limits\.max_connections/],
  [
    'verify-full without a CA file',
    { engine: { databases: [{ name: 'db', uri: '127.0.0.1:3306', tls: { mode: 'verify-full' } }] } },
    /engine\.databases\.0\.tls\.ca_file: tls\.ca_file is required/,
  ],
  [
    'duplicate database names',
    {
      engine: {
        databases: [
          { name: 'db', uri: '127.0.0.1:3306', tls: { mode: 'require' } },
          { name: 'db', uri: '127.0.0.1:3307', tls: { mode: 'require' } },
        ],
      },
    },
    /database names must be unique/,
  ],
  [
    'a credential with both sources',
    {
      engine: {
        databases: [
          {
            name: 'db',
            uri: '127.0.0.1:3306',
            tls: { mode: 'require' },
            auth: { mode: 'password', credentials: { u: { password_env: 'A', password_file: '/b' } } },
          },
        ],
      },
    },
    /exactly one of password_env or password_file/,
  ],
  ['an unknown auth mode', { engine: { databases: [{ name: 'db', uri: 'x:1', auth: { mode: 'kerberos' } }] } }, /auth/],
  ['a wrong version', { version: 'v2' }, /version/],
];
for (const [what, raw, message] of rejected) {
  test(`config rejects ${what}, naming the path`, () => assert.match(configError(raw), message));
}

test('invalid YAML is reported with the file name', async () => {
  const file = writeYaml('proxy: [unclosed\n');
  await assert.rejects(loadConfig(file), (err: Error) => {
    assert.equal((err as { code?: string }).code, 'GH_ERR_CONFIG');
    assert.match(err.message, /is not valid YAML/);
    return true;
  });
});

test('a missing file is a config error that names it', async () => {
  await assert.rejects(
    loadConfig('/nonexistent/gatehouse.yaml'),
    /cannot read config file \/nonexistent\/gatehouse\.yaml/,
  );
});

test('audit.query_events defaults to true, can be turned off, and must be a boolean', () => {
  assert.equal(parseConfig({}).audit.query_events, true);
  assert.equal(parseConfig({ audit: { query_events: false } }).audit.query_events, false);
  assert.equal(parseConfig({ audit: { query_events: false } }).audit.query_max_bytes, 65_536);
  assert.match(configError({ audit: { query_events: 'no' } }), /audit\.query_events: /);
});

test('proxy.mysql_listen takes one address or a list with unix sockets', () => {
  const config = parseConfig({ proxy: { mysql_listen: ['127.0.0.1:3036', 'unix:/run/gatehouse/mysql.sock'] } });
  assert.deepEqual(config.proxy.mysql_listen, ['127.0.0.1:3036', 'unix:/run/gatehouse/mysql.sock']);
  assert.equal(parseConfig({ proxy: { mysql_listen: 'unix:/run/gh.sock' } }).proxy.mysql_listen, 'unix:/run/gh.sock');
});

test('a proxy.mysql_listen entry may carry a server_version of its own', () => {
  const listens = [
    '127.0.0.1:3036',
    { address: '127.0.0.1:3307', server_version: '8.0.36-gatehouse' },
    { address: 'unix:/run/gatehouse/mysql.sock' },
  ];
  assert.deepEqual(parseConfig({ proxy: { mysql_listen: listens } }).proxy.mysql_listen, listens);
  assert.match(
    configError({ proxy: { mysql_listen: [{ address: '127.0.0.1:3307', version: 'x' }] } }),
    /proxy\.mysql_listen\.0/,
  );
  assert.match(
    configError({ proxy: { mysql_listen: [{ address: 'nowhere', server_version: '8.0' }] } }),
    /proxy\.mysql_listen\.0/,
  );
  assert.match(
    configError({ proxy: { mysql_listen: [{ address: '127.0.0.1:3307', server_version: '' }] } }),
    /proxy\.mysql_listen\.0/,
  );
});

test('proxy.tls and databases[].tls: TLS 1.2 and resumption by default; versions, ciphers and unknown keys checked', () => {
  const config = parseConfig({
    engine: { databases: [{ name: 'db', uri: '127.0.0.1:3306', tls: { mode: 'require' } }] },
  });
  assert.deepEqual(config.proxy.tls, { min_version: 'TLSv1.2', resumption: true });
  const db = config.engine.databases[0]!;
  assert.equal(db.tls.min_version, 'TLSv1.2');
  assert.equal(db.tls.resumption, true);
  assert.equal(db.tls.ciphers, undefined);

  const set = parseConfig({
    proxy: {
      tls: {
        min_version: 'TLSv1.3',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256',
        resumption: false,
      },
    },
    engine: {
      databases: [
        { name: 'db', uri: '127.0.0.1:3306', tls: { mode: 'require', min_version: 'TLSv1.3', resumption: false } },
      ],
    },
  });
  assert.deepEqual(set.proxy.tls, {
    min_version: 'TLSv1.3',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256',
    resumption: false,
  });
  assert.equal(set.engine.databases[0]!.tls.resumption, false);

  assert.match(configError({ proxy: { tls: { min_version: 'TLSv1.1' } } }), /proxy\.tls\.min_version/);
  assert.match(
    configError({ proxy: { tls: { ciphers: 'NO-SUCH-CIPHER' } } }),
    /proxy\.tls\.ciphers.*accepts no cipher in 'NO-SUCH-CIPHER'/s,
  );
  assert.match(configError({ proxy: { tls: { resumption: 'yes' } } }), /proxy\.tls\.resumption/);
  assert.match(configError({ proxy: { tls: { session_tickets: true } } }), /session_tickets/);
  assert.match(
    configError({
      engine: { databases: [{ name: 'db', uri: '127.0.0.1:3306', tls: { mode: 'require', ciphers: 'BOGUS' } }] },
    }),
    /engine\.databases\.0\.tls\.ciphers/,
  );
});
