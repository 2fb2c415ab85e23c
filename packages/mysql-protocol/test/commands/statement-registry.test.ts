import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createParamType,
  PreparedStatementRegistry,
  parseClientCommand,
  serializeChangeUser,
  serializeNoArgCommand,
  serializeStmtExecute,
  serializeStmtSendLongData,
} from '../../src/commands/index.js';
import { CAPS } from './helpers.js';

function observe(registry: PreparedStatementRegistry, payload: Buffer): void {
  registry.observe(parseClientCommand(payload, { capabilities: CAPS, registry }));
}

test('the registry forgets the oldest statement past maxStatements', () => {
  const registry = new PreparedStatementRegistry({ maxStatements: 2 });
  registry.recordPrepared(1, 1);
  registry.recordPrepared(2, 2);
  registry.recordPrepared(3, 3);
  assert.equal(registry.size, 2);
  assert.equal(registry.lookup(1), undefined);
  assert.equal(registry.lookup(3)?.paramCount, 3);
});

test('COM_RESET_CONNECTION clears every statement; a refused COM_CHANGE_USER clears none', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, 0);
  observe(registry, serializeChangeUser({ user: 'x' }, { capabilities: CAPS }));
  assert.equal(registry.size, 1);
  observe(registry, serializeNoArgCommand('reset_connection'));
  assert.equal(registry.size, 0);
});

test('long data for a parameter the statement does not have is ignored', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, 1);
  observe(registry, serializeStmtSendLongData(1, 5, Buffer.from('x')));
  observe(registry, serializeStmtSendLongData(2, 0, Buffer.from('x')));
  assert.equal(registry.lookup(1)?.longData.size, 0);
});

test('an execute records the types it bound for the next one', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, 2);
  const params = [
    { type: createParamType(0x08, true), value: 1 },
    { type: createParamType(0xfd), value: 'a' },
  ];
  observe(registry, serializeStmtExecute({ statementId: 1, params }, { capabilities: CAPS }));
  assert.deepEqual([...(registry.lookup(1)?.paramTypes ?? [])], [0x8008, 0x00fd]);
});
