// Response tracking against real traffic: mysql2 and a raw client talk to the harness MariaDB
// through a recording relay; the recordings are replayed through the tracker, whole and cut at
// many offsets, and every reply must end where the relay saw it end, with the outcome mysql2
// reported. mysql2 cannot negotiate CLIENT_DEPRECATE_EOF, so the DEPRECATE_EOF run replays
// mysql2's recorded commands through the raw client with that capability added.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Capability, Command, MariaDbCapability, PacketParser, type ResponseOutcome } from '@gatehouse/mysql-protocol';
import { createSeededRandom, type MariaDb, startMariaDb } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { connectRawClient, type RawClient } from './raw-client.js';
import {
  checkBoundaries,
  type Normalized,
  normalizeMysql2,
  normalizeOutcomes,
  type Replay,
  readNegotiated,
  replayRecording,
  stepOutcomes,
} from './recorded-traffic.js';
import {
  markCommandPhase,
  markStep,
  type Recording,
  type RecordingRelay,
  startRecordingRelay,
} from './recording-relay.js';

let db: MariaDb;
let relay: RecordingRelay;
const user = `trk_${Math.random().toString(16).slice(2, 8)}`;
const password = 'tracker-pw-1';
let schema: string;

const SELECT_10K = "SELECT seq, CONCAT('row-', seq) AS name FROM seq_1_to_10000";
const ALL_TYPES_INSERT = 'INSERT INTO types (i, big, d, s, b, dt, flag, nothing, j) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

async function resetSchema(): Promise<void> {
  await db.sql(`DROP DATABASE IF EXISTS ${schema}; CREATE DATABASE ${schema}`);
  const setup = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user,
    password,
    database: schema,
    multipleStatements: true,
  });
  try {
    await setup.query(`
      CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64));
      CREATE TABLE types (i INT, big BIGINT, d DOUBLE, s VARCHAR(64), b BLOB, dt DATETIME, flag TINYINT, nothing INT, j TEXT);
      CREATE PROCEDURE two_results() BEGIN SELECT 1 AS a; SELECT name FROM t ORDER BY id; END`);
  } finally {
    await setup.end();
  }
}

before(async () => {
  db = await startMariaDb();
  schema = db.uniqueName('trk');
  await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'; GRANT ALL ON \`trk\\_%\`.* TO '${user}'@'%'`);
  relay = await startRecordingRelay(db.host, db.port);
});
after(async () => {
  await relay?.close();
  await db?.sql(`DROP USER IF EXISTS '${user}'@'%'; DROP DATABASE IF EXISTS ${schema}`);
  await db?.stop();
});

/** The parameter values mysql2's execute takes. */
type Param = string | number | bigint | boolean | Date | null | Buffer | Param[] | { [key: string]: Param };

interface Step {
  name: string;
  /** What mysql2 reported, normalized; an error is its errno. */
  expected: Normalized[];
}

/** Runs the corpus with mysql2 (CLIENT_DEPRECATE_EOF off) through the relay. */
async function runMysql2Corpus(): Promise<{ rec: Recording; steps: Step[] }> {
  await resetSchema();
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port: relay.port,
    user,
    password,
    database: schema,
    multipleStatements: true,
  });
  const rec = relay.recordings.at(-1) as Recording;
  markCommandPhase(rec);
  const steps: Step[] = [];
  const step = async (name: string, multi: boolean, run: () => Promise<unknown>) => {
    markStep(rec, name);
    try {
      const result = await run();
      steps.push({ name, expected: normalizeMysql2(result, multi) });
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      assert.ok(typeof errno === 'number', `${name}: ${(err as Error).message}`);
      steps.push({ name, expected: [['err', errno]] });
    }
  };
  const q = async (sql: string) => (await conn.query(sql))[0];
  const x = async (sql: string, params: Param[]) => (await conn.execute(sql, params))[0];
  await step('select 0 rows', false, () => q('SELECT * FROM t WHERE id < 0'));
  await step('select 1 row', false, () => q('SELECT 1 AS one'));
  await step('select 10k rows', false, () => q(SELECT_10K));
  await step('rows starting 0x00, 0xFB, 0x11', false, () =>
    q("SELECT '' AS v UNION ALL SELECT NULL UNION ALL SELECT REPEAT('x', 17)"),
  );
  await step('insert', false, () => q("INSERT INTO t (name) VALUES ('a'), ('b')"));
  await step('multi-statement', true, () =>
    q(
      "SELECT 1; INSERT INTO t (name) VALUES ('c'); SELECT name FROM t ORDER BY id; UPDATE t SET name = 'z' WHERE id > 100",
    ),
  );
  await step('error mid multi-statement', true, () => q('SELECT 1; SELECT * FROM no_such_table; SELECT 2'));
  await step('call with two result sets', true, () => q('CALL two_results()'));
  await step('prepared insert, every parameter type', false, () =>
    x(ALL_TYPES_INSERT, [
      7,
      9007199254740993n,
      2.5,
      'text',
      Buffer.from([0, 0xfe, 0xff]),
      new Date(Date.UTC(2024, 1, 29, 12, 30, 5, 123)),
      true,
      null,
      { a: [1, 2] },
    ]),
  );
  await step('prepared select, binary rows', false, () =>
    x('SELECT i, big, d, s, b, dt, flag, nothing, j FROM types WHERE i = ?', [7]),
  );
  await step('prepared 10k binary rows', false, () =>
    x('SELECT seq, seq * 1.5 FROM seq_1_to_10000 WHERE seq > ?', [0]),
  );
  await step('prepare error', false, () => x('SELECT * FROM no_such_table WHERE id = ?', [1]));
  await step('load data local infile', false, () =>
    conn
      .query({
        sql: "LOAD DATA LOCAL INFILE 'names.csv' INTO TABLE t (name)",
        infileStreamFactory: () => Readable.from([Buffer.from('d\ne\n'), Buffer.from('f\n')]),
      })
      .then(([result]) => result),
  );
  await step('ping', false, async () => {
    await conn.ping();
    return { affectedRows: 0, insertId: 0 };
  });
  await conn.end();
  await rec.closed;
  return { rec, steps };
}

/** Replays the client commands of a recording through the raw client, step by step. */
function commandsByStep(rec: Recording): { name: string; packets: Buffer[] }[] {
  const phase = rec.commandPhase as { client: number };
  const out = rec.steps.map((s) => ({ name: s.name, packets: [] as Buffer[] }));
  const parser = new PacketParser();
  for (const chunk of rec.client) {
    if (chunk.clientOffset < phase.client) continue;
    const step = rec.steps.filter((s) => s.clientOffset <= chunk.clientOffset).length - 1;
    parser.push(chunk.bytes, (payload) => {
      if (step >= 0) out[step]?.packets.push(Buffer.from(payload));
    });
  }
  return out;
}

/** Commands that name a prepared statement in bytes 1..4. */
const STATEMENT_COMMANDS = new Set<number>([
  Command.StmtExecute,
  Command.StmtFetch,
  Command.StmtClose,
  Command.StmtReset,
  Command.StmtSendLongData,
]);

async function replayThroughRawClient(
  source: Recording,
  sourceReplay: Replay,
  capabilities: number,
): Promise<Recording> {
  // MariaDB may hand out other statement ids on the new connection (a reused session keeps its
  // counter), so ids are mapped from the recorded PREPARE replies to the new ones.
  const recordedIds = sourceReplay.commands
    .filter((c) => c.command.command === Command.StmtPrepare)
    .map((c) => (c.outcomes[0]?.kind === 'prepared' ? c.outcomes[0].statementId : undefined));
  const ids = new Map<number, number>();
  let prepares = 0;
  await resetSchema();
  const client = await connectRawClient({
    host: '127.0.0.1',
    port: relay.port,
    user,
    password,
    database: schema,
    capabilities,
  });
  const rec = relay.recordings.at(-1) as Recording;
  markCommandPhase(rec);
  for (const { name, packets } of commandsByStep(source)) {
    markStep(rec, name);
    // A command, then any file packets it was followed by (up to the next command).
    for (let i = 0; i < packets.length; ) {
      const command = packets[i++] as Buffer;
      // The raw client says goodbye itself, after the extras.
      if (command[0] === Command.Quit) continue;
      const data: Buffer[] = [];
      if (command[0] === Command.Query && command.toString('latin1').includes('LOCAL INFILE')) {
        while (i < packets.length) {
          const p = packets[i++] as Buffer;
          data.push(p);
          if (p.length === 0) break;
        }
      }
      if (STATEMENT_COMMANDS.has(command[0] as number)) {
        const mapped = ids.get(command.readUInt32LE(1));
        if (mapped !== undefined) command.writeUInt32LE(mapped, 1);
      }
      const outcomes = await client.command(command, data);
      if (command[0] === Command.StmtPrepare) {
        const recorded = recordedIds[prepares++];
        const got = outcomes[0];
        if (recorded !== undefined && got?.kind === 'prepared') ids.set(recorded, got.statementId);
      }
    }
  }
  await runRawExtras(client, rec);
  await client.close();
  await rec.closed;
  return rec;
}

const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/** What mysql2 never sends: a cursor with COM_STMT_FETCH, COM_FIELD_LIST, COM_STATISTICS. */
async function runRawExtras(client: RawClient, rec: Recording): Promise<void> {
  markStep(rec, 'cursor');
  const [prepared] = await client.command(
    Buffer.concat([Buffer.from([Command.StmtPrepare]), Buffer.from('SELECT seq FROM seq_1_to_25')]),
  );
  assert.equal(prepared?.kind, 'prepared');
  const id = (prepared as Extract<ResponseOutcome, { kind: 'prepared' }>).statementId;
  const executed = await client.command(Buffer.from([Command.StmtExecute, ...u32(id), 0x01, ...u32(1)]));
  assert.deepEqual(
    executed.map((o) => [o.kind, (o as { cursor?: boolean }).cursor]),
    [['resultset', true]],
  );
  let fetched = 0;
  for (let i = 0; i < 3; i++) {
    const [f] = await client.command(Buffer.from([Command.StmtFetch, ...u32(id), ...u32(10)]));
    assert.equal(f?.kind, 'fetch');
    fetched += (f as { rowCount: number }).rowCount;
  }
  assert.equal(fetched, 25);
  await client.command(Buffer.from([Command.StmtClose, ...u32(id)]));
  markStep(rec, 'field list');
  const [fields] = await client.command(Buffer.from([Command.FieldList, ...Buffer.from('t\0')]));
  assert.deepEqual([fields?.kind, (fields as { columnCount: number }).columnCount], ['field-list', 2]);
  markStep(rec, 'statistics');
  const [stats] = await client.command(Buffer.from([Command.Statistics]));
  assert.match((stats as { text: string }).text, /^Uptime: \d+/);
}

/** Replays a recording whole and cut in many ways; all must agree and match the ground truth. */
function checkRecording(rec: Recording): ReturnType<typeof replayRecording> {
  const caps = readNegotiated(rec);
  const whole = replayRecording(rec, caps);
  const boundaries = checkBoundaries(whole);
  assert.ok(boundaries >= rec.steps.length, `checked ${boundaries} reply boundaries`);
  const length = whole.serverLength;
  const random = createSeededRandom(0x7a11).next;
  const plans: number[][] = [
    Array.from({ length: Math.ceil(length / 7) }, (_, i) => i * 7),
    Array.from({ length: Math.ceil(length / 4096) }, (_, i) => i * 4096 + 3),
    Array.from({ length: 2000 }, () => Math.floor(random() * length)).sort((a, b) => a - b),
  ];
  const summary = (r: ReturnType<typeof replayRecording>) =>
    r.commands.map((c) => c.outcomes.map(({ command: _c, ...o }) => o));
  for (const cuts of plans) assert.deepEqual(summary(replayRecording(rec, caps, cuts)), summary(whole));
  return whole;
}

test('replies recorded from mysql2 and the raw client end where the relay saw them end, in both EOF modes', async () => {
  const { rec: eofRec, steps } = await runMysql2Corpus();
  const eofCaps = readNegotiated(eofRec);
  assert.equal(eofCaps.capabilities & Capability.DeprecateEof, 0);
  const eof = checkRecording(eofRec);
  steps.forEach((s, i) => {
    const got = normalizeOutcomes(stepOutcomes(eof, i));
    if (s.expected[0]?.[0] === 'err') {
      // mysql2 reports only the error; the results before it are still tracked.
      assert.deepEqual(got.at(-1), s.expected[0], s.name);
    } else {
      assert.deepEqual(got, s.expected, s.name);
    }
  });
  // Beyond what mysql2 shows: the results before the error in a multi-statement, the file upload.
  const midError = steps.findIndex((s) => s.name === 'error mid multi-statement');
  assert.deepEqual(normalizeOutcomes(stepOutcomes(eof, midError)), [
    ['rows', 1],
    ['err', 1146],
  ]);
  const infile = stepOutcomes(
    eof,
    steps.findIndex((s) => s.name === 'load data local infile'),
  );
  assert.deepEqual(
    infile
      .filter((o) => o.kind === 'local-infile')
      .map((o) => [(o as { filename: string }).filename, (o as { bytes: number }).bytes]),
    [['names.csv', 6]],
  );
  const prepared = stepOutcomes(
    eof,
    steps.findIndex((s) => s.name === 'prepared insert, every parameter type'),
  );
  assert.equal((prepared.find((o) => o.kind === 'prepared') as { paramCount: number }).paramCount, 9);

  // The same commands with CLIENT_DEPRECATE_EOF, then the raw-client extras.
  const deprecateRec = await replayThroughRawClient(
    eofRec,
    eof,
    (readClientCaps(eofRec) | Capability.DeprecateEof) & ~Capability.ConnectAttrs,
  );
  assert.notEqual(readNegotiated(deprecateRec).capabilities & Capability.DeprecateEof, 0);
  const deprecate = checkRecording(deprecateRec);
  steps.forEach((s, i) => {
    assert.deepEqual(
      normalizeOutcomes(stepOutcomes(deprecate, i)),
      normalizeOutcomes(stepOutcomes(eof, i)),
      `${s.name} with DEPRECATE_EOF`,
    );
  });
});

test('cursors, COM_FIELD_LIST and COM_STATISTICS from the raw client without DEPRECATE_EOF', async () => {
  await resetSchema();
  const caps = readClientCaps(undefined) & ~Capability.DeprecateEof;
  const client = await connectRawClient({
    host: '127.0.0.1',
    port: relay.port,
    user,
    password,
    database: schema,
    capabilities: caps,
  });
  const rec = relay.recordings.at(-1) as Recording;
  markCommandPhase(rec);
  await runRawExtras(client, rec);
  await client.close();
  await rec.closed;
  checkRecording(rec);
});

for (const deprecateEof of [false, true]) {
  test(`MariaDB CACHE_METADATA${deprecateEof ? ' with DEPRECATE_EOF' : ''}: executions that skip column definitions are tracked`, async () => {
    await resetSchema();
    // A MariaDB-aware client: CLIENT_MYSQL (bit 0) clear, so the extended capabilities count.
    let caps = readClientCaps(undefined) & ~Capability.LongPassword;
    caps = deprecateEof ? caps | Capability.DeprecateEof : caps & ~Capability.DeprecateEof;
    const client = await connectRawClient({
      host: '127.0.0.1',
      port: relay.port,
      user,
      password,
      database: schema,
      capabilities: caps,
      mariadbCapabilities: MariaDbCapability.CacheMetadata | MariaDbCapability.Progress,
    });
    assert.notEqual(client.negotiated.mariaDbCapabilities & MariaDbCapability.CacheMetadata, 0);
    const rec = relay.recordings.at(-1) as Recording;
    markCommandPhase(rec);
    markStep(rec, 'prepare');
    const [prepared] = await client.command(
      Buffer.concat([
        Buffer.from([Command.StmtPrepare]),
        Buffer.from('SELECT seq, seq * 2 FROM seq_1_to_30 WHERE seq <= ?'),
      ]),
    );
    const id = (prepared as Extract<ResponseOutcome, { kind: 'prepared' }>).statementId;
    const rows: number[] = [];
    for (const limit of [3, 30, 0]) {
      markStep(rec, `execute ${limit}`);
      // flags 0, iteration 1, null bitmap 0, new-params-bound 1, LONGLONG, value.
      const execute = Buffer.from([
        Command.StmtExecute,
        ...u32(id),
        0,
        ...u32(1),
        0,
        1,
        0x08,
        0,
        ...u32(limit),
        0,
        0,
        0,
        0,
      ]);
      const [result] = await client.command(execute);
      rows.push((result as { rowCount: number }).rowCount);
    }
    assert.deepEqual(rows, [3, 30, 0]);
    await client.close();
    await rec.closed;
    checkRecording(rec);
    // The server skipped the column definitions every time (the client has them from the
    // PREPARE reply): each reply opens with the column count (2) and metadata-follows 0.
    const replay = replayRecording(rec, readNegotiated(rec));
    const server = Buffer.concat(rec.server).subarray(rec.commandPhase?.server);
    const executes = replay.commands.filter((c) => c.command.command === Command.StmtExecute);
    assert.deepEqual(
      executes.map((c) => [...server.subarray(c.arrival + 4, c.arrival + 6)]),
      [
        [2, 0],
        [2, 0],
        [2, 0],
      ],
    );
  });
}

test('pipelined commands on a real connection get the same outcomes as one at a time', async () => {
  await resetSchema();
  const query = (sql: string) => Buffer.concat([Buffer.from([Command.Query]), Buffer.from(sql)]);
  const payloads = [
    query('SELECT 1'),
    query(SELECT_10K),
    query("INSERT INTO t (name) VALUES ('p'), ('q')"),
    query('SELECT * FROM no_such_table'),
    Buffer.concat([Buffer.from([Command.StmtPrepare]), Buffer.from('SELECT ? + 1')]),
    Buffer.from([Command.Ping]),
    query("SELECT name FROM t ORDER BY id; DELETE FROM t WHERE name = 'p'"),
  ];
  const caps = readClientCaps(undefined) | Capability.DeprecateEof;
  const connect = () =>
    connectRawClient({ host: '127.0.0.1', port: relay.port, user, password, database: schema, capabilities: caps });
  const shape = (outcomes: ResponseOutcome[]) =>
    outcomes.map((o) => [
      o.command?.command,
      o.done,
      ...normalizeOutcomes([o]).flat(),
      o.kind === 'prepared' ? o.paramCount : null,
    ]);

  const sequential = await connect();
  const one: ResponseOutcome[] = [];
  for (const p of payloads) one.push(...(await sequential.command(p)));
  await sequential.close();

  await db.sql(`DELETE FROM ${schema}.t; ALTER TABLE ${schema}.t AUTO_INCREMENT = 1`);
  const pipelined = await connect();
  const rec = relay.recordings.at(-1) as Recording;
  markCommandPhase(rec);
  const all = await pipelined.pipeline(payloads);
  await pipelined.close();
  await rec.closed;
  assert.deepEqual(shape(all), shape(one));
  // The recorded pipelined stream, replayed whole and cut, gives the same outcomes again.
  const replay = replayRecording(rec, readNegotiated(rec));
  const replayed = replay.commands.flatMap((c) => c.outcomes);
  assert.deepEqual(shape(replayed.slice(0, -1)), shape(one));
  assert.deepEqual(
    replayed.slice(-1).map((o) => [o.kind, o.command?.command]),
    [['no-reply', Command.Quit]],
  );
});

/** The client's capability flags from a recording (mysql2's), or a typical set. */
function readClientCaps(rec: Recording | undefined): number {
  if (rec === undefined) {
    return (
      Capability.LongPassword |
      Capability.FoundRows |
      Capability.LongFlag |
      Capability.ConnectWithDb |
      Capability.LocalFiles |
      Capability.Protocol41 |
      Capability.Transactions |
      Capability.SecureConnection |
      Capability.MultiStatements |
      Capability.MultiResults |
      Capability.PsMultiResults |
      Capability.PluginAuth |
      Capability.SessionTrack
    );
  }
  const first = rec.client[0]?.bytes as Buffer;
  return first.readUInt32LE(4);
}
