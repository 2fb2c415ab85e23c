// Cross-checks against real traffic: mysql2's execute() through a recording relay in front of
// the harness MariaDB. The client's command packets are parsed with the registry fed from the
// server's real COM_STMT_PREPARE_OK, and the decoded values must equal what mysql2 was given.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type ClientCommand,
  createParamType,
  PacketParser,
  type ParamValue,
  PreparedStatementRegistry,
  parseClientCommand,
  type StmtExecuteCommand,
  ColumnType as T,
} from '@gatehouse/mysql-protocol';
import { type MariaDb, startMariaDb } from '@gatehouse/testing';
import mysql2 from 'mysql2';
import { createConnection } from 'mysql2/promise';
import { type RecordedChunk, startRecordingRelay } from './recording-relay.js';

const P = mysql2.TypedParameter;
let db: MariaDb;
let user: string;
const password = 'relay-pw-1';

before(async () => {
  db = await startMariaDb();
  user = db.uniqueName('cmds');
  await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await db.sql(`CREATE DATABASE ${user}`);
  await db.sql(`GRANT ALL ON ${user}.* TO '${user}'@'%'`);
});
after(async () => {
  await db.sql(`DROP USER IF EXISTS '${user}'@'%'`);
  await db.sql(`DROP DATABASE IF EXISTS ${user}`);
  await db.stop();
});

interface Packet {
  readonly fromClient: boolean;
  readonly seq: number;
  readonly payload: Buffer;
}

/** Frames each direction with the wire PacketParser, keeping arrival order across directions. */
function framePackets(chunks: readonly RecordedChunk[]): Packet[] {
  const parsers = { client: new PacketParser({}), server: new PacketParser({}) };
  const packets: Packet[] = [];
  for (const { fromClient, bytes } of chunks) {
    (fromClient ? parsers.client : parsers.server).push(bytes, (payload, seq) => {
      packets.push({ fromClient, seq, payload: Buffer.from(payload) });
    });
  }
  return packets;
}

/** The capabilities both sides announced: server greeting ∩ HandshakeResponse41. */
function negotiatedCapabilities(packets: readonly Packet[]): number {
  const greeting = packets.find((p) => !p.fromClient)!.payload;
  const afterVersion = greeting.indexOf(0, 1) + 1;
  const lower = greeting.readUInt16LE(afterVersion + 4 + 8 + 1);
  const upper = greeting.readUInt16LE(afterVersion + 4 + 8 + 1 + 2 + 1 + 2);
  const response = packets.find((p) => p.fromClient)!.payload;
  return ((lower | (upper << 16)) & response.readUInt32LE(0)) >>> 0;
}

/**
 * What the engine does: a client packet with sequence id 0 starts a command and is parsed;
 * server packets are never parsed as commands, only read for COM_STMT_PREPARE_OK.
 */
function replay(packets: readonly Packet[]): ClientCommand[] {
  const capabilities = negotiatedCapabilities(packets);
  const registry = new PreparedStatementRegistry();
  const commands: ClientCommand[] = [];
  let awaitingPrepare = false;
  for (const p of packets) {
    if (p.fromClient && p.seq === 0) {
      const cmd = parseClientCommand(p.payload, { capabilities, registry });
      registry.observe(cmd);
      commands.push(cmd);
      awaitingPrepare = cmd.kind === 'stmt_prepare';
    } else if (!p.fromClient && awaitingPrepare && p.seq === 1) {
      awaitingPrepare = false;
      if (p.payload[0] === 0x00) registry.recordPrepared(p.payload.readUInt32LE(1), p.payload.readUInt16LE(7));
      else registry.recordPrepareFailed();
    }
  }
  return commands;
}

async function capture(run: (conn: Awaited<ReturnType<typeof createConnection>>) => Promise<void>): Promise<Packet[]> {
  const relay = await startRecordingRelay(db.host, db.port);
  try {
    const conn = await createConnection({
      host: '127.0.0.1',
      port: relay.port,
      user,
      password,
      database: user,
      timezone: 'Z',
    });
    try {
      await run(conn);
    } finally {
      await conn.end();
    }
    await relay.clientsClosed();
    return framePackets(relay.chunks);
  } finally {
    await relay.close();
  }
}

function dt(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  microsecond: number,
): ParamValue {
  return { kind: 'datetime', year, month, day, hour, minute, second, microsecond };
}

const AT = new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 123));
const BLOB = Buffer.from([0, 1, 2, 0xfe, 0xff]);

// What mysql2 is given, and the type and value the engine must decode from its packet.
type Mysql2Value = Parameters<Awaited<ReturnType<typeof createConnection>>['execute']>[1];

const CROSS_CHECK: ReadonlyArray<readonly [unknown, number, boolean, ParamValue]> = [
  [P.TINY(-5), T.Tiny, false, -5],
  [P.TINY.unsigned(250), T.Tiny, true, 250],
  [P.SHORT(-300), T.Short, false, -300],
  [P.SHORT.unsigned(65535), T.Short, true, 65535],
  [P.INT24(-70000), T.Long, false, -70000],
  [P.LONG(-2147483648), T.Long, false, -2147483648],
  [P.LONG.unsigned(4000000000), T.Long, true, 4000000000],
  [P.LONGLONG(-42), T.LongLong, false, -42],
  [P.LONGLONG(9007199254740993n), T.LongLong, false, 9007199254740993n],
  [P.LONGLONG.unsigned(18446744073709551615n), T.LongLong, true, 18446744073709551615n],
  [P.FLOAT(1.5), T.Float, false, 1.5],
  [P.DOUBLE(-0.25), T.Double, false, -0.25],
  [P.NEWDECIMAL('12.340'), T.NewDecimal, false, '12.340'],
  [P.DATETIME(AT), T.DateTime, false, dt(2024, 2, 29, 13, 14, 15, 123000)],
  [P.TIMESTAMP(AT), T.Timestamp, false, dt(2024, 2, 29, 13, 14, 15, 123000)],
  [P.DATE(AT), T.Date, false, dt(2024, 2, 29, 13, 14, 15, 123000)],
  [
    P.TIME('-49:02:03.5'),
    T.Time,
    false,
    { kind: 'time', negative: true, days: 2, hours: 1, minutes: 2, seconds: 3, microseconds: 500000 },
  ],
  [
    P.TIME('00:00:00'),
    T.Time,
    false,
    { kind: 'time', negative: false, days: 0, hours: 0, minutes: 0, seconds: 0, microseconds: 0 },
  ],
  [P.VAR_STRING('héllo'), T.VarString, false, 'héllo'],
  [P.STRING('fixed'), T.String, false, 'fixed'],
  [P.ENUM('red'), T.String, false, 'red'],
  [P.BLOB(BLOB), T.Blob, false, { kind: 'bytes', bytes: BLOB, length: BLOB.length }],
  [P.LONG(null), T.Long, false, null],
  [P.NULL(), T.Null, false, null],
  ['plain string', T.VarString, false, 'plain string'],
  [3.25, T.Double, false, 3.25],
  [true, T.Tiny, false, 1],
  [BLOB, T.Blob, false, { kind: 'bytes', bytes: BLOB, length: BLOB.length }],
  [AT, T.DateTime, false, dt(2024, 2, 29, 13, 14, 15, 123000)],
  [null, T.Null, false, null],
];

test('mysql2 execute(): every parameter it sends decodes to the value it was given', async () => {
  const values = CROSS_CHECK.map(([v]) => v) as Mysql2Value;
  const sql = `SELECT ${CROSS_CHECK.map(() => '?').join(', ')}`;
  const packets = await capture(async (conn) => {
    await conn.execute(sql, values);
    // The same statement again: mysql2 reuses the prepared statement.
    await conn.execute(sql, values);
  });
  const commands = replay(packets);
  const executes = commands.filter((c): c is StmtExecuteCommand => c.kind === 'stmt_execute');
  assert.equal(executes.length, 2);
  assert.ok(commands.some((c) => c.kind === 'stmt_prepare' && c.sql === sql));
  for (const exec of executes) {
    assert.equal(exec.undecoded, undefined);
    assert.equal(exec.params?.length, CROSS_CHECK.length);
    exec.params!.forEach((param, i) => {
      const [, type, unsigned, value] = CROSS_CHECK[i]!;
      assert.deepEqual(param.type, createParamType(type, unsigned), `param ${i} type`);
      assert.deepEqual(param.value, value, `param ${i} value`);
    });
  }
});

// Teleport once took a server row for COM_CHANGE_USER because the row began with 0x11.
test('regression (Teleport: server row parsed as COM_CHANGE_USER): rows and table names starting with 0x11 never reach the command parser', async () => {
  const seventeen = 'abcdefghijklmnopq'; // a 17-byte value is length-prefixed with 0x11
  const packets = await capture(async (conn) => {
    await conn.query({ sql: `CREATE TABLE ${seventeen} (id INT)` });
    await conn.query({ sql: 'SHOW TABLES' });
    await conn.query({ sql: `SELECT '${seventeen}' AS v` });
    await conn.execute('SELECT ? AS v', [seventeen]);
  });
  const hazards = packets.filter((p) => !p.fromClient && p.payload[0] === 0x11);
  assert.ok(hazards.length >= 2, 'the server really sent packets starting with 0x11');
  // Fed to the parser, such a packet would indeed look like COM_CHANGE_USER: hence the contract.
  assert.equal(parseClientCommand(hazards[0]!.payload, { capabilities: 0 }).kind, 'change_user');
  const commands = replay(packets);
  assert.deepEqual(
    commands.map((c) => c.kind),
    ['query', 'query', 'query', 'stmt_prepare', 'stmt_execute', 'quit'],
  );
  assert.ok(
    commands.every((c) => c.kind !== 'change_user' && c.kind !== 'unknown'),
    commands.map((c) => c.kind).join(),
  );
});
