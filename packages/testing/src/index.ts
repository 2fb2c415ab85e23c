// @gatehouse/testing: the test kit, for Gatehouse's own tests and its users'. A private MariaDB,
// a fake MySQL server for edge cases a real one can't produce, a throwaway CA, free ports, one
// waitFor, and the fixture builders of the packages below, named here so a test needs one import.

export { makeAuditEvent } from '@gatehouse/common/testing';
export {
  createSeededRandom,
  packetBuilder,
  type SeededRandom,
  splitsEverywhere,
} from '@gatehouse/mysql-protocol/testing';
export { fakeServerRsaKeys } from './fake-mysql-auth.js';
export { encodeFakeResponse } from './fake-mysql-results.js';
export {
  FAKE_SERVER_CAPABILITIES,
  type FakeLogin,
  type FakeMysqlServer,
  type FakeMysqlServerOptions,
  type FakeResponse,
  startFakeMysqlServer,
} from './fake-mysql-server.js';
export { findFreePort } from './free-port.js';
export {
  attachMariaDb,
  findExecutable,
  type MariaDb,
  type SqlRow,
  type StartMariaDbOptions,
  startMariaDb,
} from './mariadb.js';
export { type ReplicationSet, type StartReplicationOptions, startMariaDbReplication } from './mariadb-replication.js';
export { createTestCa, type IssuedFiles, type IssueOptions, openTestCa, type TestCa } from './openssl-ca.js';
export {
  attachPostgres,
  findPostgresBinDir,
  type Postgres,
  type StartPostgresOptions,
  startPostgres,
} from './postgres.js';
export { waitFor } from './wait-for.js';
