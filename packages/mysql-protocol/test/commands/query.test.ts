import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createParamType,
  DEFAULT_COMMAND_LIMITS,
  parseClientCommand,
  type QueryCommand,
  serializeQuery,
} from '../../src/commands/index.js';
import { packetBuilder } from '../../src/testing/index.js';
import { ColumnType as T } from '../../src/wire/index.js';
import { assertProtocolError, CAPS, CAPS_QA } from './helpers.js';

function query(payload: Buffer, capabilities: number, extra = {}): QueryCommand {
  const parsed = parseClientCommand(payload, { capabilities, ...extra });
  assert.equal(parsed.kind, 'query');
  return parsed as QueryCommand;
}

const ATTRIBUTES = [
  { type: createParamType(T.VarString), name: 'trace_id', value: '4bf92f35' },
  { type: createParamType(T.LongLong, true), name: 'tenant', value: 18446744073709551615n },
  { type: createParamType(T.Null), name: 'nothing', value: null },
  {
    type: createParamType(T.DateTime),
    name: 'at',
    value: { kind: 'datetime' as const, year: 2025, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: 0 },
  },
];

test('COM_QUERY without CLIENT_QUERY_ATTRIBUTES is the SQL and nothing else', () => {
  const payload = serializeQuery('SELECT 1 /* ü */', { capabilities: CAPS });
  const cmd = query(payload, CAPS);
  assert.equal(cmd.bytes, payload);
  assert.equal(cmd.sql, 'SELECT 1 /* ü */');
  assert.equal(cmd.sqlLength, Buffer.byteLength('SELECT 1 /* ü */'));
  assert.equal(cmd.sqlTruncated, false);
  assert.equal(cmd.attributes, undefined);
});

test('COM_QUERY with CLIENT_QUERY_ATTRIBUTES and no attributes: the two counts, then the SQL', () => {
  const payload = serializeQuery('SELECT 2', { capabilities: CAPS_QA });
  assert.deepEqual([...payload.subarray(0, 3)], [0x03, 0, 1]);
  const cmd = query(payload, CAPS_QA);
  assert.equal(cmd.sql, 'SELECT 2');
  assert.deepEqual(cmd.attributes, []);
  assert.equal(cmd.attributeCount, 0);
});

test('COM_QUERY query attributes: names, types and values round trip, and the SQL after them is found', () => {
  const payload = serializeQuery('SELECT mysql_query_attribute_string(?)', {
    capabilities: CAPS_QA,
    attributes: ATTRIBUTES,
  });
  const cmd = query(payload, CAPS_QA);
  assert.equal(cmd.sql, 'SELECT mysql_query_attribute_string(?)');
  assert.equal(cmd.attributeCount, 4);
  assert.deepEqual(cmd.attributes, ATTRIBUTES);
});

test('COM_QUERY query attributes: a cut anywhere before the SQL is a MysqlProtocolError', () => {
  const sql = 'SELECT 3';
  const payload = serializeQuery(sql, { capabilities: CAPS_QA, attributes: ATTRIBUTES });
  const sqlStart = payload.length - sql.length;
  for (let n = 1; n < sqlStart; n++) {
    assertProtocolError(() => parseClientCommand(payload.subarray(0, n), { capabilities: CAPS_QA }), `cut at ${n}`);
  }
  // A cut inside the SQL is just shorter SQL: the packet length is the only delimiter.
  assert.equal(query(payload.subarray(0, sqlStart + 3), CAPS_QA).sql, 'SEL');
});

test('COM_QUERY query attributes sent without types cannot be walked: MysqlProtocolError', () => {
  const payload = packetBuilder().u8(0x03).lenencInt(1).lenencInt(1).u8(0).u8(0).u32(5).string('SELECT 1').payload();
  assertProtocolError(() => parseClientCommand(payload, { capabilities: CAPS_QA }));
});

test('COM_QUERY attributes past maxParams are walked, not decoded, and the SQL is still found', () => {
  const limits = { ...DEFAULT_COMMAND_LIMITS, maxParams: 1 };
  const payload = serializeQuery('SELECT 4', { capabilities: CAPS_QA, attributes: ATTRIBUTES });
  const cmd = query(payload, CAPS_QA, { limits });
  assert.equal(cmd.attributes?.length, 1);
  assert.equal(cmd.attributeCount, 4);
  assert.equal(cmd.sql, 'SELECT 4');
});

test('SQL text is bounded by maxTextBytes with its full length kept', () => {
  const sql = `INSERT INTO t VALUES ('${'€'.repeat(100)}')`;
  const payload = serializeQuery(sql, { capabilities: CAPS });
  const cmd = query(payload, CAPS, { limits: { ...DEFAULT_COMMAND_LIMITS, maxTextBytes: 30 } });
  assert.equal(cmd.sqlTruncated, true);
  assert.equal(cmd.sqlLength, Buffer.byteLength(sql));
  assert.ok(Buffer.byteLength(cmd.sql) <= 30);
  assert.ok(sql.startsWith(cmd.sql));
  assert.ok(!cmd.sql.includes('\ufffd'), 'no character is split');
});

test('a kept prefix of a 64 MiB INSERT reports the full SQL length', () => {
  const head = serializeQuery(`INSERT INTO t VALUES ('${'x'.repeat(5000)}`, { capabilities: CAPS });
  const cmd = query(head, CAPS, { payloadLength: 64 * 1024 * 1024 });
  assert.equal(cmd.sqlLength, 64 * 1024 * 1024 - 1);
  assert.equal(cmd.sqlTruncated, true);
  assert.equal(cmd.sql.length, head.length - 1);
});
