import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResponseOutcome, TrackedCommand } from '../../src/tracking/index.js';
import { Capability, MariaDbCapability } from '../../src/wire/capabilities.js';
import { Command, ServerStatus } from '../../src/wire/constants.js';
import { serializePacket } from '../../src/wire/packet-writer.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { BASE_CAPS, ReplyBuilder } from './reply-builder.js';
import { splitPlans, track } from './track-helpers.js';

const EOF_MODES = [
  { name: 'EOF', caps: BASE_CAPS },
  { name: 'DEPRECATE_EOF', caps: BASE_CAPS | Capability.DeprecateEof | Capability.SessionTrack },
] as const;

const query: TrackedCommand = { command: Command.Query };
const MORE = ServerStatus.MoreResultsExists | ServerStatus.Autocommit;

/** The outcome fields a test compares, without the echo of the command. */
function summary(o: ResponseOutcome): Record<string, unknown> {
  const { command: _c, ...rest } = o;
  return rest;
}

/** Runs the fixture whole and split at every offset; every run must report the same outcomes. */
function trackEverySplit(
  caps: number,
  commands: TrackedCommand[],
  b: ReplyBuilder,
  client?: { bytes: Buffer; at: number },
  ext = 0,
) {
  const server = b.build();
  const io = client ? { client: client.bytes, clientAt: client.at } : {};
  const whole = track({ capabilities: caps, mariadbCapabilities: ext, commands, server, ...io });
  for (const splits of splitPlans(server.length)) {
    const run = track({ capabilities: caps, mariadbCapabilities: ext, commands, server, splits, ...io });
    assert.deepEqual(run.outcomes.map(summary), whole.outcomes.map(summary), `split at ${splits.join(',')}`);
  }
  return whole;
}

for (const mode of EOF_MODES) {
  test(`${mode.name}: a result set with rows that start like OK, NULL and COM_CHANGE_USER ends at the terminator`, () => {
    const b = new ReplyBuilder(mode.caps).reply().columns(2);
    b.textRow('', 'x').textRow(null, 'y').textRow('0123456789abcdefg', 'z'); // 0x00, 0xFB, 0x11
    b.terminator();
    const end = b.offset;
    b.reply().ok({ affectedRows: 3, lastInsertId: 7 });
    const run = trackEverySplit(mode.caps, [query, query], b);
    assert.equal(run.outcomes.length, 2);
    assert.deepEqual(
      { ...summary(run.outcomes[0] as ResponseOutcome) },
      {
        kind: 'resultset',
        done: true,
        endOffset: end,
        columnCount: 2,
        rowCount: 3,
        binary: false,
        cursor: false,
        statusFlags: 2,
        warnings: 0,
      },
    );
    assert.equal(run.outcomes[1]?.kind, 'ok');
    assert.equal((run.outcomes[1] as { affectedRows: number }).affectedRows, 3);
    assert.equal(run.outcomes[1]?.endOffset, b.offset);
  });

  test(`${mode.name}: multi-results report each result, then an ERR ends the reply`, () => {
    const b = new ReplyBuilder(mode.caps).reply().columns(1).textRow('1').terminator(MORE);
    b.ok({ affectedRows: 2, statusFlags: MORE }).columns(1).terminator(MORE);
    b.err(1146, "Table 'x.nope' doesn't exist", '42S02');
    const run = trackEverySplit(mode.caps, [query], b);
    assert.deepEqual(
      run.outcomes.map((o) => [o.kind, o.done]),
      [
        ['resultset', false],
        ['ok', false],
        ['resultset', false],
        ['err', true],
      ],
    );
    const err = run.outcomes[3] as Extract<ResponseOutcome, { kind: 'err' }>;
    assert.deepEqual([err.errno, err.sqlState, err.endOffset], [1146, '42S02', b.offset]);
    assert.equal((run.outcomes[2] as { rowCount: number }).rowCount, 0);
  });

  test(`${mode.name}: COM_STMT_PREPARE reports the statement id and counts, then a binary execute`, () => {
    const b = new ReplyBuilder(mode.caps).reply().prepareOk(42, 2, 3);
    for (let i = 0; i < 3; i++) b.columnDef('?');
    b.metadataEnd();
    b.columnDef('a').columnDef('b').metadataEnd();
    const prepared = b.offset;
    b.reply().columns(1).binaryRow(1).binaryRow(2).terminator();
    const run = trackEverySplit(
      mode.caps,
      [{ command: Command.StmtPrepare }, { command: Command.StmtExecute, statementId: 42, cursor: false }],
      b,
    );
    assert.deepEqual(summary(run.outcomes[0] as ResponseOutcome), {
      kind: 'prepared',
      done: true,
      endOffset: prepared,
      statementId: 42,
      columnCount: 2,
      paramCount: 3,
      warnings: 0,
    });
    assert.deepEqual([run.outcomes[1]?.kind, (run.outcomes[1] as { rowCount: number }).rowCount], ['resultset', 2]);
    assert.equal((run.outcomes[1] as { binary: boolean }).binary, true);
  });

  test(`${mode.name}: a prepared statement with neither params nor columns ends at PREPARE_OK`, () => {
    const b = new ReplyBuilder(mode.caps).reply().prepareOk(1, 0, 0);
    const run = trackEverySplit(mode.caps, [{ command: Command.StmtPrepare }], b);
    assert.deepEqual([run.outcomes[0]?.kind, run.outcomes[0]?.endOffset], ['prepared', b.offset]);
  });

  test(`${mode.name}: LOCAL INFILE counts the client's file packets and reports the name`, () => {
    const b = new ReplyBuilder(mode.caps).reply().infileRequest('/tmp/data.csv');
    const requestEnd = b.offset;
    b.ok({ affectedRows: 2, info: 'Records: 2  Deleted: 0  Skipped: 0  Warnings: 0' });
    // The client's file packets (not commands, though one starts with 0x03 = COM_QUERY) then an empty packet.
    const client = Buffer.concat([
      serializePacket(Buffer.from('\x031,2\n'), 2),
      serializePacket(Buffer.from('3,4\n'), 3),
      serializePacket(Buffer.alloc(0), 4),
    ]);
    const run = trackEverySplit(mode.caps, [query], b, { bytes: client, at: requestEnd });
    assert.deepEqual(run.outcomes.map(summary), [
      { kind: 'local-infile', done: false, endOffset: requestEnd, filename: '/tmp/data.csv', bytes: 9 },
      {
        kind: 'ok',
        done: true,
        endOffset: b.offset,
        affectedRows: 2,
        lastInsertId: 0,
        statusFlags: 0,
        warnings: 0,
        info: 'Records: 2  Deleted: 0  Skipped: 0  Warnings: 0',
      },
    ]);
  });

  test(`${mode.name}: LOCAL INFILE asked for by COM_STMT_EXECUTE (a prepared LOAD DATA LOCAL, mariadb-test --ps-protocol)`, () => {
    // Regression: the tracker took this 0xFB for a protocol error and the engine ended the session.
    const b = new ReplyBuilder(mode.caps).reply().infileRequest('rows.tsv');
    const requestEnd = b.offset;
    b.ok({ affectedRows: 1 });
    const client = Buffer.concat([serializePacket(Buffer.from('1\tone\n'), 2), serializePacket(Buffer.alloc(0), 3)]);
    const execute = { command: Command.StmtExecute, statementId: 7, cursor: false };
    const run = trackEverySplit(mode.caps, [execute], b, { bytes: client, at: requestEnd });
    assert.deepEqual(
      run.outcomes.map((o) => [o.kind, o.done, o.endOffset]),
      [
        ['local-infile', false, requestEnd],
        ['ok', true, b.offset],
      ],
    );
    assert.equal((run.outcomes[0] as { bytes: number }).bytes, 6);
  });

  test(`${mode.name}: a cursor returns only column definitions, rows come through COM_STMT_FETCH`, () => {
    const cursorStatus = ServerStatus.CursorExists | ServerStatus.Autocommit;
    const b = new ReplyBuilder(mode.caps).reply().columnCount(1).columnDef('a');
    // MariaDB sends the cursor flag in an EOF here, or under CLIENT_DEPRECATE_EOF (which drops this
    // EOF otherwise) in an OK with the 0xFE header: both recorded from MariaDB 10.11.
    b.terminator(cursorStatus);
    const executed = b.offset;
    b.reply().binaryRow(1).binaryRow(2).terminator(cursorStatus);
    b.reply()
      .binaryRow(3)
      .terminator(cursorStatus | ServerStatus.LastRowSent);
    const fetch = { command: Command.StmtFetch, statementId: 5 };
    const run = trackEverySplit(
      mode.caps,
      [{ command: Command.StmtExecute, statementId: 5, cursor: true }, fetch, fetch],
      b,
    );
    assert.deepEqual(
      run.outcomes.map((o) => [
        o.kind,
        (o as { rowCount?: number }).rowCount,
        (o as { lastRowSent?: boolean }).lastRowSent,
      ]),
      [
        ['resultset', 0, undefined],
        ['fetch', 2, false],
        ['fetch', 1, true],
      ],
    );
    assert.equal((run.outcomes[0] as { cursor: boolean }).cursor, true);
    assert.equal(run.outcomes[0]?.endOffset, executed);
  });

  test(`${mode.name}: COM_STATISTICS, COM_FIELD_LIST, COM_PING and no-reply commands, pipelined`, () => {
    const b = new ReplyBuilder(mode.caps).reply().packet(Buffer.from('Uptime: 5  Threads: 1'));
    b.reply().columnDef('a').columnDef('b').terminator();
    b.reply().ok();
    const commands: TrackedCommand[] = [
      { command: Command.StmtClose, statementId: 1 },
      { command: Command.Statistics },
      { command: Command.StmtSendLongData, statementId: 2 },
      { command: Command.FieldList },
      { command: Command.Ping },
      { command: Command.Quit },
    ];
    const run = trackEverySplit(mode.caps, commands, b);
    assert.deepEqual(
      run.outcomes.map((o) => [o.kind, o.command?.command]),
      [
        ['no-reply', Command.StmtClose],
        ['statistics', Command.Statistics],
        ['no-reply', Command.StmtSendLongData],
        ['field-list', Command.FieldList],
        ['ok', Command.Ping],
        ['no-reply', Command.Quit],
      ],
    );
    assert.equal((run.outcomes[1] as { text: string }).text, 'Uptime: 5  Threads: 1');
    assert.equal((run.outcomes[3] as { columnCount: number }).columnCount, 2);
  });

  test(`${mode.name}: a command the relay answered itself keeps its place between two replies`, () => {
    const b = new ReplyBuilder(mode.caps).reply().columns(1).textRow('1').terminator();
    b.reply().ok({ affectedRows: 2 });
    const commands: TrackedCommand[] = [query, { command: Command.Query, answered: true }, { command: Command.Query }];
    const run = trackEverySplit(mode.caps, commands, b);
    // The answered query expects no bytes: it ends right after the reply before it, and the
    // server's next reply is the third command's.
    assert.deepEqual(
      run.outcomes.map((o) => [o.kind, commands.indexOf(o.command!)]),
      [
        ['resultset', 0],
        ['no-reply', 1],
        ['ok', 2],
      ],
    );
  });

  test(`${mode.name}: MariaDB progress reports are not outcomes`, () => {
    const b = new ReplyBuilder(mode.caps)
      .reply()
      .progress(1, 2, 50, 'copy to tmp table')
      .progress(2, 2, 10, 'x')
      .ok({ affectedRows: 1 });
    const run = trackEverySplit(mode.caps, [query], b, undefined, MariaDbCapability.Progress);
    assert.deepEqual(
      run.progress.slice(0, 2).map((p) => [p.stage, p.maxStage, p.progress, p.info]),
      [
        [1, 2, 50, 'copy to tmp table'],
        [2, 2, 10, 'x'],
      ],
    );
    assert.deepEqual(
      run.outcomes.map((o) => o.kind),
      ['ok'],
    );
  });

  test(`${mode.name}: an ERR in the middle of rows ends the reply`, () => {
    const b = new ReplyBuilder(mode.caps)
      .reply()
      .columns(1)
      .textRow('a')
      .err(1317, 'Query execution was interrupted', '70100');
    const run = trackEverySplit(mode.caps, [query], b);
    assert.deepEqual(
      run.outcomes.map((o) => [o.kind, (o as { errno?: number }).errno]),
      [['err', 1317]],
    );
  });
}

test('MARIADB_CLIENT_CACHE_METADATA: an execute whose metadata is cached sends no column definitions', () => {
  const b = new ReplyBuilder(BASE_CAPS).reply().columnCount(2, 0).eof().binaryRow(1).eof();
  const run = trackEverySplit(
    BASE_CAPS,
    [{ command: Command.StmtExecute, statementId: 1, cursor: false }],
    b,
    undefined,
    MariaDbCapability.CacheMetadata,
  );
  assert.deepEqual([run.outcomes[0]?.kind, (run.outcomes[0] as { rowCount: number }).rowCount], ['resultset', 1]);
});

test('rows of 16 MiB and more, one starting with 0xFE, are rows and not terminators', () => {
  for (const mode of EOF_MODES) {
    const big = Buffer.alloc(0x1000000, 0x61); // a 16 MiB column: lenenc 0xFE + 8 bytes
    const exact = Buffer.alloc(0xffffff - 4, 0x62); // payload of exactly 0xFFFFFF: an empty frame follows
    const b = new ReplyBuilder(mode.caps).reply().columns(1).textRow(big).textRow(exact).textRow('c').terminator();
    const server = b.build();
    for (const splits of [
      [],
      [1],
      [5],
      [0xffffff + 3],
      [0xffffff + 4],
      [server.length - 3],
      [100, 0xffffff + 8, 0x2000010],
    ]) {
      const run = track({ capabilities: mode.caps, commands: [query], server, splits });
      assert.deepEqual(
        run.outcomes.map((o) => [o.kind, (o as { rowCount: number }).rowCount, o.endOffset]),
        [['resultset', 3, server.length]],
        `${mode.name} split ${splits.join(',')}`,
      );
    }
  }
});

test('an ERR with no command pending is reported; any other unsolicited packet is a protocol error', () => {
  const b = new ReplyBuilder(BASE_CAPS)
    .reply()
    .err(4031, 'The client was disconnected by the server because of inactivity.');
  const run = track({ capabilities: BASE_CAPS, commands: [], server: b.build() });
  assert.deepEqual(
    run.outcomes.map((o) => [o.kind, o.command, (o as { errno: number }).errno]),
    [['err', undefined, 4031]],
  );
  const ok = new ReplyBuilder(BASE_CAPS).reply().ok().build();
  assert.throws(() => track({ capabilities: BASE_CAPS, commands: [], server: ok }), MysqlProtocolError);
});

test('a binlog dump streams events until EOF', () => {
  const b = new ReplyBuilder(BASE_CAPS)
    .reply()
    .packet(Buffer.from([0, 1, 2, 3]))
    .packet(Buffer.from([0, 9]))
    .eof();
  const run = trackEverySplit(BASE_CAPS, [{ command: Command.BinlogDump }], b);
  assert.deepEqual(run.outcomes.map(summary), [{ kind: 'binlog-end', done: true, endOffset: b.offset, events: 2 }]);
});

test('COM_CHANGE_USER: auth switch rounds, then OK; the client answers with auth data, not commands', () => {
  const b = new ReplyBuilder(BASE_CAPS)
    .reply()
    .packet(Buffer.from('\xfemysql_native_password\0abcdefghij0123456789\0', 'latin1'));
  b.packet(Buffer.from([0x01, 0x03])).ok();
  const run = trackEverySplit(BASE_CAPS, [{ command: Command.ChangeUser }], b);
  assert.deepEqual(
    run.outcomes.map((o) => [o.kind, o.done, o.endOffset]),
    [['ok', true, b.offset]],
  );
});

test('an unexpected packet where a column definition belongs is a protocol error', () => {
  const b = new ReplyBuilder(BASE_CAPS).reply().columnCount(2).columnDef('a').ok();
  assert.throws(() => track({ capabilities: BASE_CAPS, commands: [query], server: b.build() }), MysqlProtocolError);
});
