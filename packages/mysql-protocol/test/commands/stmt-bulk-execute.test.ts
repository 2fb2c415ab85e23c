import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BulkCell,
  createParamType,
  DEFAULT_COMMAND_LIMITS,
  PreparedStatementRegistry,
  parseClientCommand,
  type StmtBulkExecuteCommand,
  serializeStmtBulkExecute,
  serializeStmtExecute,
} from '../../src/commands/index.js';
import { ColumnType as T } from '../../src/wire/index.js';
import { assertProtocolError, CAPS } from './helpers.js';

const TYPES = [createParamType(T.Long, true), createParamType(T.VarString), createParamType(T.Double)];
const ROWS: BulkCell[][] = [
  [1, 'one', 1.5],
  [2, null, { kind: 'default' }],
  [3, { kind: 'ignore' }, -2.25],
  [4294967295, 'four', null],
];

function bulk(payload: Buffer, registry: PreparedStatementRegistry, extra = {}): StmtBulkExecuteCommand {
  const parsed = parseClientCommand(payload, { capabilities: CAPS, registry, ...extra });
  assert.equal(parsed.kind, 'stmt_bulk_execute');
  registry.observe(parsed);
  return parsed as StmtBulkExecuteCommand;
}

function prepared(count = 3): PreparedStatementRegistry {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, count);
  return registry;
}

test('COM_STMT_BULK_EXECUTE with types: flags, types and every row with its indicators', () => {
  const payload = serializeStmtBulkExecute({ statementId: 1, sendUnitResults: true, types: TYPES, rows: ROWS });
  const cmd = bulk(payload, prepared());
  assert.equal(cmd.bytes, payload);
  assert.equal(cmd.sendTypes, true);
  assert.equal(cmd.sendUnitResults, true);
  assert.equal(cmd.flags, 64 | 128);
  assert.equal(cmd.rowCount, 4);
  assert.deepEqual(cmd.rows, ROWS);
});

test('COM_STMT_BULK_EXECUTE without types reuses those of the previous execute', () => {
  const registry = prepared();
  const exec = serializeStmtExecute(
    { statementId: 1, params: TYPES.map((type) => ({ type, value: null })) },
    { capabilities: CAPS },
  );
  registry.observe(parseClientCommand(exec, { capabilities: CAPS, registry }));
  const cmd = bulk(serializeStmtBulkExecute({ statementId: 1, valueTypes: TYPES, rows: ROWS }), registry);
  assert.equal(cmd.sendTypes, false);
  assert.deepEqual(cmd.rows, ROWS);
});

test('COM_STMT_BULK_EXECUTE without types and none bound before, or of an unknown statement, is reported', () => {
  const payload = serializeStmtBulkExecute({ statementId: 1, valueTypes: TYPES, rows: ROWS });
  assert.equal(bulk(payload, prepared()).undecoded, 'unknown_types');
  assert.equal(bulk(payload, new PreparedStatementRegistry()).undecoded, 'unknown_statement');
});

test('COM_STMT_BULK_EXECUTE decodes at most maxBulkRows rows but counts them all', () => {
  const rows: BulkCell[][] = Array.from({ length: 1000 }, (_, i) => [i, `row ${i}`, i / 2]);
  const payload = serializeStmtBulkExecute({ statementId: 1, types: TYPES, rows });
  const cmd = bulk(payload, prepared(), { limits: { ...DEFAULT_COMMAND_LIMITS, maxBulkRows: 3, maxParams: 2 } });
  assert.equal(cmd.rowCount, 1000);
  assert.deepEqual(cmd.rows, [
    [0, 'row 0'],
    [1, 'row 1'],
    [2, 'row 2'],
  ]);
});

test('COM_STMT_BULK_EXECUTE: a cut inside a row is a MysqlProtocolError, a cut between rows is fewer rows', () => {
  const boundaries = new Set<number>();
  for (let k = 0; k <= ROWS.length; k++) {
    boundaries.add(serializeStmtBulkExecute({ statementId: 1, types: TYPES, rows: ROWS.slice(0, k) }).length);
  }
  const payload = serializeStmtBulkExecute({ statementId: 1, types: TYPES, rows: ROWS });
  const registry = prepared();
  for (let n = 1; n < payload.length; n++) {
    const cut = payload.subarray(0, n);
    if (boundaries.has(n)) assert.ok(bulk(cut, registry).rowCount < ROWS.length);
    else assertProtocolError(() => parseClientCommand(cut, { capabilities: CAPS, registry }), `cut at ${n}`);
  }
});

test('COM_STMT_BULK_EXECUTE with an invalid indicator byte is a MysqlProtocolError', () => {
  const payload = Buffer.from(serializeStmtBulkExecute({ statementId: 1, types: TYPES, rows: [[1, 'a', 2]] }));
  payload[7 + 6] = 9; // first indicator, after the header (7) and the types (6)
  assertProtocolError(() => parseClientCommand(payload, { capabilities: CAPS, registry: prepared() }));
});

test('COM_STMT_BULK_EXECUTE of a statement without parameters has no rows (and cannot loop)', () => {
  const cmd = bulk(serializeStmtBulkExecute({ statementId: 1, types: [], rows: [] }), prepared(0));
  assert.equal(cmd.rowCount, 0);
  assert.deepEqual(cmd.rows, []);
});
