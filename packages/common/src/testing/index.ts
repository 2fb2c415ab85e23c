// The test kit: what other packages' tests use to stand up real and fake peers.
export { findFreePort } from './free-port.js';
export {
  attachMariaDb,
  findExecutable,
  type MariaDb,
  type SqlRow,
  type StartMariaDbOptions,
  startMariaDb,
} from './mariadb.js';
export {
  attachPostgres,
  findPostgresBinDir,
  type Postgres,
  type StartPostgresOptions,
  startPostgres,
} from './postgres.js';
export { createTestCa, type IssuedFiles, type IssueOptions, openTestCa, type TestCa } from './openssl-ca.js';
export * from './mysql-packet-builder.js';
export { createSeededRandom, type SeededRandom } from './seeded-random.js';
export {
  FAKE_SERVER_CAPABILITIES,
  type FakeLogin,
  type FakeMysqlServer,
  type FakeMysqlServerOptions,
  type FakeResponse,
  startFakeMysqlServer,
} from './fake-mysql-server.js';
export { makeAuditEvent } from './audit-events.js';
