import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ClientCommand,
  parseClientCommand,
  serializeBinlogDump,
  serializeBinlogDumpGtid,
  serializeFieldList,
  serializeNoArgCommand,
  serializeProcessKill,
  serializeRefresh,
  serializeRegisterSlave,
  serializeSchemaCommand,
  serializeSetOption,
  serializeShutdown,
  serializeStmtClose,
  serializeStmtFetch,
  serializeStmtPrepare,
  serializeStmtReset,
  serializeStmtSendLongData,
} from '../../src/commands/index.js';
import { packetBuilder } from '../../src/testing/index.js';
import { Command } from '../../src/wire/index.js';
import { assertProtocolError, CAPS, type CommandFields, fieldsOf } from './helpers.js';

interface Case {
  readonly name: string;
  readonly payload: Buffer;
  readonly expected: CommandFields<ClientCommand>;
  /** Shorter payloads than this are malformed (undefined: any prefix still parses). */
  readonly minLength?: number;
}

const cases: Case[] = [
  { name: 'COM_QUIT', payload: serializeNoArgCommand('quit'), expected: { kind: 'quit' } },
  { name: 'COM_STATISTICS', payload: serializeNoArgCommand('statistics'), expected: { kind: 'statistics' } },
  { name: 'COM_PROCESS_INFO', payload: serializeNoArgCommand('process_info'), expected: { kind: 'process_info' } },
  { name: 'COM_DEBUG', payload: serializeNoArgCommand('debug'), expected: { kind: 'debug' } },
  { name: 'COM_PING', payload: serializeNoArgCommand('ping'), expected: { kind: 'ping' } },
  {
    name: 'COM_RESET_CONNECTION',
    payload: serializeNoArgCommand('reset_connection'),
    expected: { kind: 'reset_connection' },
  },
  {
    name: 'COM_INIT_DB',
    payload: serializeSchemaCommand('init_db', 'app_é'),
    expected: { kind: 'init_db', schema: 'app_é' },
  },
  {
    name: 'COM_CREATE_DB',
    payload: serializeSchemaCommand('create_db', 'x1'),
    expected: { kind: 'create_db', schema: 'x1' },
  },
  {
    name: 'COM_DROP_DB',
    payload: serializeSchemaCommand('drop_db', 'x2'),
    expected: { kind: 'drop_db', schema: 'x2' },
  },
  {
    name: 'COM_FIELD_LIST',
    payload: serializeFieldList('orders', 'id%'),
    expected: { kind: 'field_list', table: 'orders', wildcard: 'id%' },
    minLength: 8,
  },
  {
    name: 'COM_REFRESH',
    payload: serializeRefresh(0x04),
    expected: { kind: 'refresh', subCommand: 0x04 },
    minLength: 2,
  },
  { name: 'COM_SHUTDOWN with level', payload: serializeShutdown(0), expected: { kind: 'shutdown', level: 0 } },
  {
    name: 'COM_SHUTDOWN without level',
    payload: serializeShutdown(),
    expected: { kind: 'shutdown', level: undefined },
  },
  {
    name: 'COM_PROCESS_KILL',
    payload: serializeProcessKill(0xfedcba98),
    expected: { kind: 'process_kill', connectionId: 0xfedcba98 },
    minLength: 5,
  },
  { name: 'COM_SET_OPTION', payload: serializeSetOption(1), expected: { kind: 'set_option', option: 1 }, minLength: 3 },
  {
    name: 'COM_STMT_CLOSE',
    payload: serializeStmtClose(7),
    expected: { kind: 'stmt_close', statementId: 7 },
    minLength: 5,
  },
  {
    name: 'COM_STMT_RESET',
    payload: serializeStmtReset(8),
    expected: { kind: 'stmt_reset', statementId: 8 },
    minLength: 5,
  },
  {
    name: 'COM_STMT_FETCH',
    payload: serializeStmtFetch(9, 100),
    expected: { kind: 'stmt_fetch', statementId: 9, rowCount: 100 },
    minLength: 9,
  },
  {
    name: 'COM_STMT_PREPARE',
    payload: serializeStmtPrepare('SELECT ? + ?'),
    expected: { kind: 'stmt_prepare', sql: 'SELECT ? + ?', sqlLength: 12, sqlTruncated: false },
  },
  {
    name: 'COM_STMT_SEND_LONG_DATA',
    payload: serializeStmtSendLongData(3, 1, Buffer.from('chunk')),
    expected: { kind: 'stmt_send_long_data', statementId: 3, paramId: 1, data: Buffer.from('chunk'), dataLength: 5 },
    minLength: 7,
  },
  {
    name: 'COM_BINLOG_DUMP',
    payload: serializeBinlogDump({ position: 4, flags: 0, serverId: 12, filename: 'mysql-bin.000001' }),
    expected: { kind: 'binlog_dump', position: 4, flags: 0, serverId: 12, filename: 'mysql-bin.000001' },
    minLength: 11,
  },
  {
    name: 'COM_BINLOG_DUMP_GTID with a GTID set',
    payload: serializeBinlogDumpGtid({
      flags: 0x04,
      serverId: 2,
      filename: 'bin.000002',
      position: 0x1_0000_0004n,
      gtidData: Buffer.from([1, 2, 3]),
    }),
    expected: {
      kind: 'binlog_dump_gtid',
      flags: 0x04,
      serverId: 2,
      filename: 'bin.000002',
      position: 0x1_0000_0004n,
      gtidData: Buffer.from([1, 2, 3]),
    },
    minLength: 34,
  },
  {
    name: 'COM_BINLOG_DUMP_GTID without',
    payload: serializeBinlogDumpGtid({ flags: 0, serverId: 2, filename: '', position: 4n }),
    expected: { kind: 'binlog_dump_gtid', flags: 0, serverId: 2, filename: '', position: 4n, gtidData: undefined },
    minLength: 19,
  },
  {
    name: 'COM_REGISTER_SLAVE',
    payload: serializeRegisterSlave({
      serverId: 5,
      hostname: 'replica-1',
      user: 'repl',
      password: Buffer.from('pw'),
      port: 3306,
      replicationRank: 0,
      masterId: 1,
    }),
    expected: {
      kind: 'register_slave',
      serverId: 5,
      hostname: 'replica-1',
      user: 'repl',
      password: Buffer.from('pw'),
      port: 3306,
      replicationRank: 0,
      masterId: 1,
    },
    minLength: 33,
  },
];

for (const c of cases) {
  test(`${c.name}: serialize → parse round trip keeps every field and the raw bytes`, () => {
    const parsed = parseClientCommand(c.payload, { capabilities: CAPS });
    assert.equal(parsed.bytes, c.payload);
    assert.deepEqual(fieldsOf(parsed), c.expected);
  });
  if (c.minLength !== undefined) {
    const min = c.minLength;
    test(`${c.name}: every truncation below ${min} bytes is a MysqlProtocolError`, () => {
      assert.equal(c.payload.length >= min, true);
      for (let n = 1; n < min; n++) {
        assertProtocolError(() => parseClientCommand(c.payload.subarray(0, n), { capabilities: CAPS }), `length ${n}`);
      }
    });
  }
}

test('an empty payload is a MysqlProtocolError, not a command', () => {
  assertProtocolError(() => parseClientCommand(Buffer.alloc(0), { capabilities: CAPS }));
});

test('unknown and server-internal command bytes give a typed unknown command', () => {
  for (const byte of [
    Command.Sleep,
    Command.Connect,
    Command.Time,
    Command.TableDump,
    Command.Daemon,
    0x22,
    0x99,
    0xff,
  ]) {
    const payload = packetBuilder().u8(byte).u32(1).payload();
    const parsed = parseClientCommand(payload, { capabilities: CAPS });
    assert.deepEqual(parsed, { kind: 'unknown', bytes: payload, command: byte });
  }
});

test('a name longer than maxTextBytes is cut on a character boundary', () => {
  const payload = serializeSchemaCommand('init_db', 'ab€€');
  const limits = { maxTextBytes: 4, maxValueBytes: 16, maxParams: 4, maxBulkRows: 1 };
  const parsed = parseClientCommand(payload, { capabilities: CAPS, limits });
  assert.equal(parsed.kind, 'init_db');
  assert.equal(parsed.kind === 'init_db' && parsed.schema, 'ab');
});

test('COM_STMT_SEND_LONG_DATA keeps at most maxValueBytes of the data but reports its full length', () => {
  const payload = serializeStmtSendLongData(1, 0, Buffer.alloc(5000, 0x61));
  const limits = { maxTextBytes: 64, maxValueBytes: 100, maxParams: 4, maxBulkRows: 1 };
  const parsed = parseClientCommand(payload, { capabilities: CAPS, limits });
  assert.equal(parsed.kind, 'stmt_send_long_data');
  if (parsed.kind !== 'stmt_send_long_data') return;
  assert.equal(parsed.data.length, 100);
  assert.equal(parsed.dataLength, 5000);
});
