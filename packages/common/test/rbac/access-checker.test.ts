import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AccessRequest,
  checkAccess,
  checkDbName,
  computeSessionOptions,
  createAccessChecker,
} from '../../src/rbac/access-checker.js';
import { type Role, RoleSchema, type Traits } from '../../src/rbac/schemas.js';

// Roles are parsed through the schema, as the store would, so the matrix also covers parsing.
const role = (r: unknown): Role => RoleSchema.parse(r);

const ROLES = {
  // DESIGN.md's example role.
  dev: role({
    kind: 'role',
    name: 'dev',
    options: { max_session_ttl: '8h', client_idle_timeout: '30m', disconnect_expired_cert: true },
    allow: {
      db_labels: { env: ['dev', 'staging'] },
      db_users: ['app_ro', '{{internal.db_users}}'],
      db_names: ['app', 'reports_*'],
    },
    deny: { db_labels: { env: 'prod' } },
  }),
  admin: role({
    kind: 'role',
    name: 'admin',
    options: { max_session_ttl: '2h', client_idle_timeout: '1h' },
    allow: { db_labels: { '*': '*' }, db_users: ['*'], db_names: ['*'] },
  }),
  noroot: role({ kind: 'role', name: 'noroot', deny: { db_users: ['root'], db_names: ['mysql', 'sys_*'] } }),
  prodro: role({
    kind: 'role',
    name: 'prodro',
    options: { max_session_ttl: '1h', allow_replication: true },
    allow: { db_labels: { env: 'prod', team: 'pay*' }, db_users: ['ro_*'], db_names: ['{{internal.db_names}}'] },
  }),
  infile: role({
    kind: 'role',
    name: 'infile',
    options: { allow_local_infile: true },
    allow: { db_labels: { env: 'dev' }, db_users: ['loader'], db_names: ['stage_{{internal.db_names}}'] },
  }),
  empty: role({ kind: 'role', name: 'empty' }),
  nolabels: role({ kind: 'role', name: 'nolabels', allow: { db_users: ['*'], db_names: ['*'] } }),
};
type RoleName = keyof typeof ROLES;

const devDb = { name: 'dev-db', labels: { env: 'dev' } };
const stagingDb = { name: 'staging-db', labels: { env: 'staging', team: 'core' } };
const prodDb = { name: 'prod-db', labels: { env: 'prod' } };
const payDb = { name: 'pay-db', labels: { env: 'prod', team: 'payments' } };
const bareDb = { name: 'bare-db', labels: {} };

interface Case {
  readonly name: string;
  readonly roles: readonly RoleName[];
  readonly traits?: Traits;
  readonly request: AccessRequest;
  /** true, or the exact reason of the denial. */
  readonly expect: true | string;
}

const alice: Traits = { db_users: ['alice'], db_names: ['alice_db', 'team_*'] };

const cases: Case[] = [
  {
    name: 'dev: static db user and db name',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'app' },
    expect: true,
  },
  {
    name: 'dev: second label value (list)',
    roles: ['dev'],
    request: { db: stagingDb, dbUser: 'app_ro', dbName: 'app' },
    expect: true,
  },
  {
    name: 'dev: db name glob reports_*',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'reports_2024' },
    expect: true,
  },
  {
    name: 'dev: glob needs its prefix',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'xreports_1' },
    expect: "role 'dev' does not allow db name 'xreports_1' for db user 'app_ro'",
  },
  {
    name: 'dev: glob matches the bare prefix',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'reports_' },
    expect: true,
  },
  {
    name: 'dev: template db user from traits',
    roles: ['dev'],
    traits: alice,
    request: { db: devDb, dbUser: 'alice', dbName: 'app' },
    expect: true,
  },
  {
    name: 'dev: template without traits grants nothing',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'alice', dbName: 'app' },
    expect: "role 'dev' does not allow db user 'alice'",
  },
  {
    name: 'dev: root is not allowed',
    roles: ['dev'],
    traits: alice,
    request: { db: devDb, dbUser: 'root', dbName: 'app' },
    expect: "role 'dev' does not allow db user 'root'",
  },
  {
    name: 'dev: deny labels env=prod',
    roles: ['dev'],
    request: { db: prodDb, dbUser: 'app_ro', dbName: 'app' },
    expect: "role 'dev' denies database 'prod-db' (labels env=prod)",
  },
  {
    name: 'dev: labels that no role allows',
    roles: ['dev'],
    request: { db: bareDb, dbUser: 'app_ro', dbName: 'app' },
    expect: "no role allows database 'bare-db' (no labels)",
  },
  {
    name: 'dev: no schema selected checks user only',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro' },
    expect: true,
  },
  {
    name: 'dev: empty schema checks user only',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro', dbName: '' },
    expect: true,
  },
  {
    name: 'dev: label value is matched exactly',
    roles: ['dev'],
    request: { db: { name: 'd', labels: { env: 'development' } }, dbUser: 'app_ro', dbName: 'app' },
    expect: "no role allows database 'd' (labels env=development)",
  },
  {
    name: 'admin: * labels match a db with no labels',
    roles: ['admin'],
    request: { db: bareDb, dbUser: 'root', dbName: 'mysql' },
    expect: true,
  },
  {
    name: 'admin: * matches every db user and name',
    roles: ['admin'],
    request: { db: prodDb, dbUser: 'anything', dbName: 'x' },
    expect: true,
  },
  {
    name: 'admin+noroot: deny db user wins over * allow',
    roles: ['admin', 'noroot'],
    request: { db: devDb, dbUser: 'root', dbName: 'app' },
    expect: "role 'noroot' denies db user 'root'",
  },
  {
    name: 'admin+noroot: deny db name wins',
    roles: ['admin', 'noroot'],
    request: { db: devDb, dbUser: 'app', dbName: 'mysql' },
    expect: "role 'noroot' denies db name 'mysql'",
  },
  {
    name: 'admin+noroot: deny db name glob',
    roles: ['admin', 'noroot'],
    request: { db: devDb, dbUser: 'app', dbName: 'sys_schema' },
    expect: "role 'noroot' denies db name 'sys_schema'",
  },
  {
    name: 'admin+noroot: other names still allowed',
    roles: ['admin', 'noroot'],
    request: { db: devDb, dbUser: 'app', dbName: 'sysx' },
    expect: true,
  },
  {
    name: 'admin+dev: dev deny on prod wins over admin allow',
    roles: ['admin', 'dev'],
    request: { db: prodDb, dbUser: 'app_ro', dbName: 'app' },
    expect: "role 'dev' denies database 'prod-db' (labels env=prod)",
  },
  {
    name: 'prodro: two labels with glob value',
    roles: ['prodro'],
    traits: alice,
    request: { db: payDb, dbUser: 'ro_alice', dbName: 'alice_db' },
    expect: true,
  },
  {
    name: 'prodro: all label keys must match',
    roles: ['prodro'],
    traits: alice,
    request: { db: prodDb, dbUser: 'ro_alice', dbName: 'alice_db' },
    expect: "no role allows database 'prod-db' (labels env=prod)",
  },
  {
    name: 'prodro: db name trait that is a glob',
    roles: ['prodro'],
    traits: alice,
    request: { db: payDb, dbUser: 'ro_x', dbName: 'team_blue' },
    expect: true,
  },
  {
    name: 'prodro: db name outside traits',
    roles: ['prodro'],
    traits: alice,
    request: { db: payDb, dbUser: 'ro_x', dbName: 'bob_db' },
    expect: "role 'prodro' does not allow db name 'bob_db' for db user 'ro_x'",
  },
  {
    name: 'prodro: db user glob needs prefix',
    roles: ['prodro'],
    traits: alice,
    request: { db: payDb, dbUser: 'rw_x', dbName: 'alice_db' },
    expect: "role 'prodro' does not allow db user 'rw_x'",
  },
  {
    name: 'infile: template with a prefix',
    roles: ['infile'],
    traits: alice,
    request: { db: devDb, dbUser: 'loader', dbName: 'stage_alice_db' },
    expect: true,
  },
  {
    name: 'infile: prefix is required',
    roles: ['infile'],
    traits: alice,
    request: { db: devDb, dbUser: 'loader', dbName: 'alice_db' },
    expect: "role 'infile' does not allow db name 'alice_db' for db user 'loader'",
  },
  {
    name: 'two roles: one grants the user, the other the name',
    roles: ['dev', 'infile'],
    traits: alice,
    request: { db: devDb, dbUser: 'loader', dbName: 'app' },
    expect: "role 'infile' does not allow db name 'app' for db user 'loader'",
  },
  {
    name: 'two roles: neither allows the user',
    roles: ['dev', 'infile'],
    request: { db: devDb, dbUser: 'root', dbName: 'app' },
    expect: "roles 'dev', 'infile' do not allow db user 'root'",
  },
  {
    name: 'two roles: either may grant',
    roles: ['dev', 'infile'],
    traits: alice,
    request: { db: devDb, dbUser: 'loader', dbName: 'stage_team_x' },
    expect: true,
  },
  {
    name: 'empty role grants nothing',
    roles: ['empty'],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'app' },
    expect: "no role allows database 'dev-db' (labels env=dev)",
  },
  {
    name: 'allow without db_labels matches no database',
    roles: ['nolabels'],
    request: { db: bareDb, dbUser: 'x', dbName: 'y' },
    expect: "no role allows database 'bare-db' (no labels)",
  },
  {
    name: 'no roles at all',
    roles: [],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'app' },
    expect: "no role allows database 'dev-db' (labels env=dev)",
  },
  {
    name: 'names are case-sensitive',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'APP_RO', dbName: 'app' },
    expect: "role 'dev' does not allow db user 'APP_RO'",
  },
  {
    name: 'glob characters in names are literal except *',
    roles: ['dev'],
    request: { db: devDb, dbUser: 'app_ro', dbName: 'reports.x' },
    expect: "role 'dev' does not allow db name 'reports.x' for db user 'app_ro'",
  },
];

for (const c of cases) {
  test(`rbac: ${c.name}`, () => {
    const decision = checkAccess({ roles: c.roles.map((n) => ROLES[n]), traits: c.traits ?? {} }, c.request);
    if (c.expect === true) {
      assert.equal(decision.allowed, true, decision.allowed ? '' : decision.reason);
    } else {
      assert.equal(decision.allowed, false);
      assert.equal(decision.allowed ? '' : decision.reason, c.expect);
    }
  });
}

test('rbac matrix has at least 30 cases', () => assert.ok(cases.length >= 30));

const ttlCases: Array<[readonly RoleName[], number | undefined, number | undefined, boolean]> = [
  [['dev'], 8 * 3_600_000, 30 * 60_000, true],
  [['dev', 'admin'], 2 * 3_600_000, 30 * 60_000, true],
  [['dev', 'admin', 'prodro'], 3_600_000, 30 * 60_000, true],
  [['admin'], 2 * 3_600_000, 3_600_000, false],
  [['empty', 'noroot'], undefined, undefined, false],
  [['empty', 'admin'], 2 * 3_600_000, 3_600_000, false],
];
for (const [names, ttl, idle, disconnect] of ttlCases) {
  test(`rbac: session options for roles [${names.join(', ')}]`, () => {
    const options = computeSessionOptions(names.map((n) => ROLES[n]));
    assert.deepEqual(options, { maxSessionTtlMs: ttl, clientIdleTimeoutMs: idle, disconnectExpiredCert: disconnect });
  });
}

test('rbac: replication and LOCAL INFILE come only from the granting roles', () => {
  const subject = { roles: [ROLES.prodro, ROLES.infile], traits: alice };
  const pay = checkAccess(subject, { db: payDb, dbUser: 'ro_a', dbName: 'alice_db' });
  assert.deepEqual(pay, { allowed: true, roles: ['prodro'], allowReplication: true, allowLocalInfile: false });
  const dev = checkAccess(subject, { db: devDb, dbUser: 'loader', dbName: 'stage_alice_db' });
  assert.deepEqual(dev, { allowed: true, roles: ['infile'], allowReplication: false, allowLocalInfile: true });
});

test('rbac: checkDbName re-checks a USE against the same rules', () => {
  const subject = { roles: [ROLES.dev], traits: {} };
  const checker = createAccessChecker(subject);
  assert.equal(checker.checkAccess({ db: devDb, dbUser: 'app_ro' }).allowed, true);
  assert.equal(checker.checkDbName({ db: devDb, dbUser: 'app_ro', dbName: 'reports_q1' }).allowed, true);
  const denied = checkDbName(subject, { db: devDb, dbUser: 'app_ro', dbName: 'secrets' });
  assert.deepEqual(denied, {
    allowed: false,
    reason: "role 'dev' does not allow db name 'secrets' for db user 'app_ro'",
  });
});

test('rbac: a deny decision names the role that denied', () => {
  const d = checkAccess({ roles: [ROLES.admin, ROLES.noroot], traits: {} }, { db: devDb, dbUser: 'root' });
  assert.equal(d.allowed, false);
  assert.equal(d.allowed ? undefined : d.role, 'noroot');
});
