import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Capability,
  CLIENT_MYSQL,
  hasCapability,
  MariaDbCapability,
  negotiateCapabilities,
} from '../../src/wire/capabilities.js';
import { Command } from '../../src/wire/constants.js';
import { ServerError } from '../../src/wire/server-errors.js';

const base = Capability.Protocol41 | Capability.SecureConnection | Capability.PluginAuth;

test('capabilities are the intersection of both sides, including bit 31', () => {
  const server = base | Capability.DeprecateEof | Capability.RememberOptions | Capability.Ssl;
  const client = base | Capability.RememberOptions | Capability.QueryAttributes | Capability.LongPassword;
  const { capabilities } = negotiateCapabilities({ capabilities: server }, { capabilities: client });
  assert.equal(capabilities, (base | Capability.RememberOptions) >>> 0);
  assert.ok(capabilities > 0, 'bit 31 stays unsigned');
  assert.equal(hasCapability(capabilities, Capability.RememberOptions), true);
  assert.equal(hasCapability(capabilities, Capability.DeprecateEof), false);
});

test('MariaDB extended capabilities count only when CLIENT_MYSQL is clear on both sides', () => {
  const ext = MariaDbCapability.Progress | MariaDbCapability.StmtBulkOperations | MariaDbCapability.CacheMetadata;
  const mariaServer = { capabilities: base, mariaDbCapabilities: ext };
  const mariaClient = {
    capabilities: base,
    mariaDbCapabilities: MariaDbCapability.StmtBulkOperations | MariaDbCapability.Progress,
  };
  assert.equal(
    negotiateCapabilities(mariaServer, mariaClient).mariaDbCapabilities,
    MariaDbCapability.StmtBulkOperations | MariaDbCapability.Progress,
  );
  const mysqlClient = { capabilities: base | CLIENT_MYSQL, mariaDbCapabilities: ext };
  assert.equal(negotiateCapabilities(mariaServer, mysqlClient).mariaDbCapabilities, 0);
  const mysqlServer = { capabilities: base | CLIENT_MYSQL, mariaDbCapabilities: ext };
  assert.equal(negotiateCapabilities(mysqlServer, mariaClient).mariaDbCapabilities, 0);
});

test('wire constants keep the values the protocol defines', () => {
  assert.equal(Command.StmtBulkExecute, 0xfa);
  assert.equal(Command.ResetConnection, 0x1f);
  assert.equal(Capability.DeprecateEof, 1 << 24);
  assert.equal(Capability.QueryAttributes, 1 << 27);
  assert.deepEqual(ServerError.SecureTransportRequired, { errno: 3159, sqlState: 'HY000' });
  assert.deepEqual(ServerError.AccessDenied, { errno: 1045, sqlState: '28000' });
  const errnos = Object.values(ServerError).map((e) => e.errno);
  assert.equal(new Set(errnos).size, errnos.length, 'no errno listed twice');
});
