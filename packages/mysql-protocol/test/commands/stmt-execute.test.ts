import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createParamType,
  DEFAULT_COMMAND_LIMITS,
  LAST_PREPARED_STATEMENT_ID,
  type ParamInit,
  PreparedStatementRegistry,
  parseClientCommand,
  type StmtExecuteCommand,
  serializeStmtClose,
  serializeStmtExecute,
  serializeStmtReset,
  serializeStmtSendLongData,
  toJsonValue,
} from '../../src/commands/index.js';
import { ColumnType as T } from '../../src/wire/index.js';
import { assertProtocolError, CAPS, CAPS_QA } from './helpers.js';
import { EVERY_TYPE } from './param-fixtures.js';

function execute(
  payload: Buffer,
  registry: PreparedStatementRegistry,
  capabilities = CAPS,
  extra = {},
): StmtExecuteCommand {
  const parsed = parseClientCommand(payload, { capabilities, registry, ...extra });
  assert.equal(parsed.kind, 'stmt_execute');
  registry.observe(parsed);
  return parsed as StmtExecuteCommand;
}

function expectValues(cmd: StmtExecuteCommand, params: readonly ParamInit[]): void {
  assert.equal(cmd.undecoded, undefined);
  assert.ok(cmd.params);
  assert.equal(cmd.params.length, params.length);
  cmd.params.forEach((decoded, i) => {
    const label = (params[i] as { label?: string }).label ?? String(i);
    assert.deepEqual(decoded.value, params[i]!.value, label);
    assert.deepEqual(decoded.type, params[i]!.type, label);
  });
}

for (const capabilities of [CAPS, CAPS_QA]) {
  const mode = capabilities === CAPS ? 'plain' : 'with query attributes';
  test(`COM_STMT_EXECUTE ${mode}: every parameter type, signed and unsigned, round trips`, () => {
    const registry = new PreparedStatementRegistry();
    registry.recordPrepared(1, EVERY_TYPE.length);
    const payload = serializeStmtExecute({ statementId: 1, params: EVERY_TYPE }, { capabilities });
    const limits = { ...DEFAULT_COMMAND_LIMITS, maxValueBytes: 100_000 };
    const cmd = execute(payload, registry, capabilities, { limits });
    assert.equal(cmd.bytes, payload);
    assert.equal(cmd.paramCount, EVERY_TYPE.length);
    assert.equal(cmd.newParamsBound, true);
    assert.equal(cmd.boundTypes?.length, EVERY_TYPE.length);
    expectValues(cmd, EVERY_TYPE);
  });

  test(`COM_STMT_EXECUTE ${mode}: every truncation is a MysqlProtocolError`, () => {
    const registry = new PreparedStatementRegistry();
    const params = EVERY_TYPE.filter(
      (p) => p.value !== null && !(typeof p.value === 'object' && p.value.kind === 'bytes' && p.value.length > 1000),
    );
    registry.recordPrepared(1, params.length);
    const payload = serializeStmtExecute({ statementId: 1, params }, { capabilities });
    for (let n = 1; n < payload.length; n++) {
      assertProtocolError(() => parseClientCommand(payload.subarray(0, n), { capabilities, registry }), `cut at ${n}`);
    }
  });
}

test('COM_STMT_EXECUTE with query attributes names its attributes and decodes without a registry', () => {
  const params = [
    { type: createParamType(T.Long), value: 5 },
    { type: createParamType(T.VarString), name: 'trace_id', value: 'abc' },
  ];
  const payload = serializeStmtExecute({ statementId: 9, params }, { capabilities: CAPS_QA });
  const cmd = parseClientCommand(payload, { capabilities: CAPS_QA }) as StmtExecuteCommand;
  assert.equal(cmd.cursor.parameterCountAvailable, true);
  assert.deepEqual(
    cmd.params?.map((p) => [p.name, p.value]),
    [
      ['', 5],
      ['trace_id', 'abc'],
    ],
  );
});

test('new-params-bound = 0 reuses the types of the previous execute of that statement', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(3, 2);
  const types = [createParamType(T.LongLong, true), createParamType(T.VarString)];
  const first = serializeStmtExecute(
    {
      statementId: 3,
      params: [
        { type: types[0]!, value: 1 },
        { type: types[1]!, value: 'a' },
      ],
    },
    { capabilities: CAPS },
  );
  execute(first, registry);
  const second = serializeStmtExecute(
    {
      statementId: 3,
      bindTypes: false,
      params: [
        { type: types[0]!, value: 18446744073709551615n },
        { type: types[1]!, value: null },
      ],
    },
    { capabilities: CAPS },
  );
  const cmd = execute(second, registry);
  assert.equal(cmd.newParamsBound, false);
  assert.equal(cmd.boundTypes, undefined);
  assert.deepEqual(
    cmd.params?.map((p) => p.value),
    [18446744073709551615n, null],
  );
  assert.equal(cmd.params?.[0]?.type.unsigned, true);
});

test('new-params-bound = 0 with no earlier execute leaves the parameters undecoded, not thrown', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(3, 1);
  const payload = serializeStmtExecute(
    { statementId: 3, bindTypes: false, params: [{ type: createParamType(T.Long), value: 1 }] },
    { capabilities: CAPS },
  );
  const cmd = execute(payload, registry);
  assert.equal(cmd.undecoded, 'unknown_types');
  assert.equal(cmd.params, undefined);
});

test('an execute of a statement the registry never saw prepared is reported, not thrown', () => {
  const payload = serializeStmtExecute(
    { statementId: 77, params: [{ type: createParamType(T.Long), value: 1 }] },
    { capabilities: CAPS },
  );
  const cmd = execute(payload, new PreparedStatementRegistry());
  assert.equal(cmd.statementId, 77);
  assert.equal(cmd.undecoded, 'unknown_statement');
  assert.equal(cmd.paramCount, undefined);
});

test('cursor flags and the iteration count are reported', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(4, 0);
  const payload = serializeStmtExecute(
    { statementId: 4, flags: 0x01 | 0x04, iterationCount: 1, params: [] },
    { capabilities: CAPS },
  );
  const cmd = execute(payload, registry);
  assert.deepEqual(cmd.cursor, { readOnly: true, forUpdate: false, scrollable: true, parameterCountAvailable: false });
  assert.equal(cmd.iterationCount, 1);
  assert.deepEqual(cmd.params, []);
});

test('long data: parameters sent with COM_STMT_SEND_LONG_DATA are reported as such until execute, reset or close', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(6, 3);
  const observe = (payload: Buffer) => registry.observe(parseClientCommand(payload, { capabilities: CAPS, registry }));
  observe(serializeStmtSendLongData(6, 1, Buffer.alloc(1000, 1)));
  observe(serializeStmtSendLongData(6, 1, Buffer.alloc(500, 2)));
  const types = [createParamType(T.Long), createParamType(T.Blob), createParamType(T.VarString)];
  const withLongData = serializeStmtExecute(
    {
      statementId: 6,
      params: [
        { type: types[0]!, value: 1 },
        { type: types[1]!, value: { kind: 'long_data', length: 1500 } },
        { type: types[2]!, value: 'x' },
      ],
    },
    { capabilities: CAPS },
  );
  const first = execute(withLongData, registry);
  assert.deepEqual(
    first.params?.map((p) => p.value),
    [1, { kind: 'long_data', length: 1500 }, 'x'],
  );
  assert.deepEqual(toJsonValue(first.params![1]!.value), { long_data: true, length: 1500 });

  // Consumed by the execute: the next one carries the value inline again.
  const inline = serializeStmtExecute(
    {
      statementId: 6,
      params: [
        { type: types[0]!, value: 2 },
        { type: types[1]!, value: { kind: 'bytes', bytes: Buffer.from('zz'), length: 2 } },
        { type: types[2]!, value: 'y' },
      ],
    },
    { capabilities: CAPS },
  );
  assert.deepEqual(execute(inline, registry).params?.[1]?.value, {
    kind: 'bytes',
    bytes: Buffer.from('zz'),
    length: 2,
  });

  observe(serializeStmtSendLongData(6, 0, Buffer.from('x')));
  assert.equal(registry.lookup(6)?.longData.size, 1);
  observe(serializeStmtReset(6));
  assert.equal(registry.lookup(6)?.longData.size, 0);
  observe(serializeStmtClose(6));
  assert.equal(registry.lookup(6), undefined);
});

test('MariaDB statement id -1 executes the statement prepared last, until a prepare fails', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(10, 1);
  registry.recordPrepared(11, 2);
  const params = [
    { type: createParamType(T.Long), value: 1 },
    { type: createParamType(T.Long), value: 2 },
  ];
  const payload = serializeStmtExecute({ statementId: LAST_PREPARED_STATEMENT_ID, params }, { capabilities: CAPS });
  const cmd = execute(payload, registry);
  assert.equal(cmd.statementId, 0xffffffff);
  assert.deepEqual(
    cmd.params?.map((p) => p.value),
    [1, 2],
  );
  registry.recordPrepareFailed();
  assert.equal(execute(payload, registry).undecoded, 'unknown_statement');
});

test('decoding is bounded: parameters past maxParams are not decoded, long values are cut', () => {
  const limits = { ...DEFAULT_COMMAND_LIMITS, maxParams: 2, maxValueBytes: 8 };
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, 4);
  const params = [
    { type: createParamType(T.VarString), value: 'ééééé' },
    { type: createParamType(T.Blob), value: { kind: 'bytes' as const, bytes: Buffer.alloc(50, 3), length: 50 } },
    { type: createParamType(T.Long), value: 3 },
    { type: createParamType(T.Long), value: 4 },
  ];
  const cmd = execute(serializeStmtExecute({ statementId: 1, params }, { capabilities: CAPS }), registry, CAPS, {
    limits,
  });
  assert.equal(cmd.params?.length, 2);
  assert.deepEqual(cmd.params?.[0]?.value, { kind: 'truncated_text', prefix: 'éééé', length: 10 });
  assert.deepEqual(cmd.params?.[1]?.value, { kind: 'bytes', bytes: Buffer.alloc(8, 3), length: 50 });
});

test('a kept prefix of an oversized execute decodes what it holds and reports the rest as not captured', () => {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, 3);
  const big = Buffer.alloc(100_000, 0x41);
  const params = [
    { type: createParamType(T.Long), value: 7 },
    { type: createParamType(T.LongBlob), value: { kind: 'bytes' as const, bytes: big, length: big.length } },
    { type: createParamType(T.Long), value: 8 },
  ];
  const payload = serializeStmtExecute({ statementId: 1, params }, { capabilities: CAPS });
  // Header 10, NULL bitmap 1, bound flag 1, types 6: the first value ends at byte 22.
  assert.deepEqual(
    execute(payload.subarray(0, 20), registry, CAPS, { payloadLength: payload.length }).params?.[0]?.value,
    {
      kind: 'not_captured',
    },
  );
  for (const keep of [22, 23, 100, 4096, payload.length - 1]) {
    const cmd = execute(payload.subarray(0, keep), registry, CAPS, { payloadLength: payload.length });
    assert.equal(cmd.params?.[0]?.value, 7, `keep ${keep}`);
    const blob = cmd.params?.[1]?.value;
    assert.ok(blob !== null && typeof blob === 'object' && (blob.kind === 'bytes' || blob.kind === 'not_captured'));
    if (blob.kind === 'bytes') assert.equal(blob.length, big.length);
    assert.deepEqual(cmd.params?.[2]?.value, { kind: 'not_captured' });
  }
});

test('decoded values are JSON for the audit log: bigints, temporals and bytes become strings and bounded objects', () => {
  assert.equal(toJsonValue(-9223372036854775808n), '-9223372036854775808');
  assert.equal(toJsonValue(Number.NaN), 'NaN');
  assert.equal(
    toJsonValue({ kind: 'datetime', year: 2024, month: 2, day: 29, hour: 13, minute: 4, second: 5, microsecond: 120 }),
    '2024-02-29 13:04:05.000120',
  );
  assert.equal(
    toJsonValue({ kind: 'datetime', year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0, microsecond: 0 }),
    '2024-02-29 00:00:00',
  );
  assert.equal(
    toJsonValue({ kind: 'time', negative: true, days: 2, hours: 1, minutes: 2, seconds: 3, microseconds: 0 }),
    '-49:02:03',
  );
  assert.deepEqual(toJsonValue({ kind: 'bytes', bytes: Buffer.from([0xde, 0xad]), length: 9 }), {
    hex: 'dead',
    length: 9,
    truncated: true,
  });
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, EVERY_TYPE.length);
  const cmd = execute(serializeStmtExecute({ statementId: 1, params: EVERY_TYPE }, { capabilities: CAPS }), registry);
  const json = JSON.parse(JSON.stringify(cmd.params!.map((p) => toJsonValue(p.value))));
  assert.equal(json.length, EVERY_TYPE.length);
  assert.equal(json[12], '18446744073709551615');
});
