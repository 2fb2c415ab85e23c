import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MysqlConnectError, MysqlProtocolError, MysqlServerError, ServerError } from '@gatehouse/mysql-protocol';
import { IdentityError } from '../src/identity/index.js';
import { ClientError, describeClientError, GatehouseError, UNREACHABLE } from '../src/index.js';

const engine = { side: 'engine', database: { name: 'orders', uri: 'db.internal:3306' } } as const;
const proxy = { side: 'proxy' } as const;

test('a ClientError carries its own ERR on both sides, in one shape: (code, message, mysql, { reason })', () => {
  const err = new ClientError('GH_ERR_NO_ENGINE', 'no engine serves orders', UNREACHABLE, { reason: 'no_engine' });
  assert.equal(err.errno, 1105);
  assert.equal(err.sqlState, '08S01');
  for (const ctx of [proxy, engine]) {
    assert.deepEqual(describeClientError(err, ctx), {
      mysql: UNREACHABLE,
      message: 'no engine serves orders',
      reason: 'no_engine',
      level: 'warn',
    });
  }
});

test('the proxy side: certificates are Access denied, protocol errors Bad handshake, a client that left gets no ERR', () => {
  const cert = describeClientError(new IdentityError('GH_ERR_CERT_EXPIRED', 'expired at noon'), proxy);
  assert.deepEqual(cert, {
    mysql: ServerError.AccessDenied,
    message: 'Access denied: expired at noon',
    reason: 'certificate',
    level: 'info',
  });
  const bad = describeClientError(new MysqlProtocolError('truncated'), proxy);
  assert.equal(bad.mysql, ServerError.HandshakeError);
  assert.equal(bad.message, 'Bad handshake: truncated');
  const left = describeClientError(new MysqlConnectError('1.2.3.4:5', 'the client closed the connection'), proxy);
  assert.equal(left.mysql, undefined);
  assert.equal(left.reason, 'client_closed');
  const unknown = describeClientError(new TypeError('bug'), proxy);
  assert.equal(unknown.message, 'internal error in the Gatehouse proxy; its log has the details');
  assert.equal(unknown.level, 'error');
});

test('the engine side names the database it tried', () => {
  const denied = describeClientError(new IdentityError('GH_ERR_IDENTITY_LOCKED', 'alice is locked'), engine);
  assert.deepEqual([denied.mysql, denied.message], [ServerError.AccessDenied, 'access denied: alice is locked']);
  const refused = describeClientError(
    new MysqlServerError(1045, '28000', 'Access denied for user', false, 'db.internal:3306'),
    engine,
  );
  assert.deepEqual(refused.mysql, { errno: 1045, sqlState: '28000' });
  // The server's text passes verbatim; which database refused goes to the log and the audit.
  assert.equal(refused.message, 'Access denied for user');
  const down = describeClientError(new MysqlConnectError('db.internal:3306', 'connect ECONNREFUSED'), engine);
  assert.deepEqual(
    [down.mysql, down.message],
    [UNREACHABLE, "cannot connect to database 'orders' at db.internal:3306: connect ECONNREFUSED"],
  );
  const other = describeClientError(new GatehouseError('GH_ERR_ENGINE_CLUSTER', 'no roles'), engine);
  assert.equal(other.message, "cannot open a session to database 'orders': no roles");
  assert.equal(
    describeClientError(new Error('x'), engine).message,
    "cannot open a session to database 'orders': internal error",
  );
});
