import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packetBuilder, splitsEverywhere } from '../../src/testing/index.js';
import { BufferWriter } from '../../src/wire/buffer-writer.js';
import { Capability } from '../../src/wire/capabilities.js';
import { ServerStatus } from '../../src/wire/constants.js';
import { parseErrPacket, serializeErrPacket, writeProgressPacket } from '../../src/wire/err-packet.js';
import {
  isEofOkPacket,
  isEofPacket,
  parseEofPacket,
  parseGenericPacket,
  serializeEofPacket,
} from '../../src/wire/generic-packets.js';
import { parseOkPacket, serializeOkPacket } from '../../src/wire/ok-packet.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';
import type { SessionStateChange } from '../../src/wire/session-state.js';
import { parseChunks } from './collectors.js';

const P41 = Capability.Protocol41 | Capability.Transactions;
const TRACK = P41 | Capability.SessionTrack;
const isProtocolError = (err: unknown): boolean => err instanceof MysqlProtocolError;

test('OK under PROTOCOL_41: counts, status, warnings and info', () => {
  const payload = packetBuilder()
    .u8(0)
    .lenencInt(3)
    .lenencInt(70000)
    .u16(0x0022)
    .u16(1)
    .string('Rows matched: 3')
    .payload();
  const ok = parseOkPacket(payload, P41);
  assert.equal(ok.kind, 'ok');
  assert.equal(ok.bytes, payload);
  assert.equal(ok.affectedRows, 3);
  assert.equal(ok.lastInsertId, 70000);
  assert.equal(ok.statusFlags, 0x0022);
  assert.equal(ok.warnings, 1);
  assert.equal(ok.info, 'Rows matched: 3');
});

test('OK without SESSION_TRACK: the info is length-encoded, as servers send it, and a bare rest is read too', () => {
  const info = 'Rows matched: 1  Changed: 1  Warnings: 0';
  const payload = serializeOkPacket({ affectedRows: 1, statusFlags: 2, info }, P41);
  // 0x00, affected rows, insert id, status, warnings, then the info's length byte: what MariaDB sent.
  assert.equal(payload[7], info.length);
  assert.equal(payload.length, 8 + info.length);
  assert.equal(parseOkPacket(payload, P41).info, info);
  const long = 'x'.repeat(300);
  assert.equal(parseOkPacket(serializeOkPacket({ info: long }, P41), P41).info, long);
  assert.equal(serializeOkPacket({ info: '' }, P41).length, 7, 'no info, no length byte');
});

test('OK without PROTOCOL_41: status only with TRANSACTIONS, and no warnings', () => {
  const withTx = parseOkPacket(packetBuilder().u8(0).u8(1).u8(0).u16(2).string('i').payload(), Capability.Transactions);
  assert.deepEqual([withTx.statusFlags, withTx.warnings, withTx.info], [2, 0, 'i']);
  const bare = parseOkPacket(packetBuilder().u8(0).u8(1).u8(0).string('x').payload(), 0);
  assert.deepEqual([bare.statusFlags, bare.info], [0, 'x']);
});

test('OK with a last insert id beyond 2^53 keeps it exact as a bigint', () => {
  const ok = parseOkPacket(
    packetBuilder()
      .u8(0)
      .lenencInt(1)
      .lenencInt(2n ** 63n + 5n)
      .u16(2)
      .u16(0)
      .payload(),
    P41,
  );
  assert.equal(ok.lastInsertId, 2n ** 63n + 5n);
});

test('OK under SESSION_TRACK: the info string may be omitted entirely', () => {
  const ok = parseOkPacket(packetBuilder().u8(0).u8(0).u8(0).u16(2).u16(0).payload(), TRACK);
  assert.equal(ok.info, '');
  assert.deepEqual(ok.sessionStateChanges, []);
});

test('OK session-state changes of every type are parsed into typed items', () => {
  const entry = (type: number, build: (w: BufferWriter) => void): Buffer => {
    const w = new BufferWriter();
    build(w);
    return packetBuilder().u8(type).lenencBytes(w.view()).payload();
  };
  const block = Buffer.concat([
    entry(0, (w) => w.lenencString('autocommit').lenencString('OFF').lenencString('sql_mode').lenencString('')),
    entry(1, (w) => w.lenencString('app')),
    entry(2, (w) => w.string('1')),
    entry(3, (w) => w.u8(0).lenencString('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5')),
    entry(4, (w) => w.lenencString('SET TRANSACTION READ ONLY;')),
    entry(5, (w) => w.lenencString('T_______')),
    entry(0x42, (w) => w.string('future')),
  ]);
  const payload = packetBuilder()
    .u8(0)
    .u8(0)
    .u8(0)
    .u16(ServerStatus.SessionStateChanged | ServerStatus.Autocommit)
    .u16(0)
    .lenencString('')
    .lenencBytes(block)
    .payload();
  const ok = parseOkPacket(payload, TRACK);
  const expected: SessionStateChange[] = [
    { kind: 'system-variable', name: 'autocommit', value: 'OFF' },
    { kind: 'system-variable', name: 'sql_mode', value: '' },
    { kind: 'schema', schema: 'app' },
    { kind: 'state-change', changed: true },
    { kind: 'gtids', encoding: 0, gtids: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5' },
    { kind: 'transaction-characteristics', characteristics: 'SET TRANSACTION READ ONLY;' },
    { kind: 'transaction-state', state: 'T_______' },
    { kind: 'unknown', type: 0x42, data: Buffer.from('future') },
  ];
  assert.deepEqual(ok.sessionStateChanges, expected);
  // Without SERVER_SESSION_STATE_CHANGED the block is not read.
  const quiet = parseOkPacket(packetBuilder().u8(0).u8(0).u8(0).u16(2).u16(0).lenencString('hi').payload(), TRACK);
  assert.equal(quiet.info, 'hi');
  assert.deepEqual(quiet.sessionStateChanges, []);
});

test('the state-change entry is the flag itself: an OK a real MariaDB sent after COM_INIT_DB', () => {
  // Regression: the flag was read as a length-encoded string inside the entry, so '1' (0x31)
  // became a length of 49 and the OK of every schema change broke the tracker.
  const payload = Buffer.from('000000024000000013010e0d73686f705f6433333134646566020131', 'hex');
  const ok = parseOkPacket(payload, TRACK);
  assert.deepEqual(ok.sessionStateChanges, [
    { kind: 'schema', schema: 'shop_d3314def' },
    { kind: 'state-change', changed: true },
  ]);
});

test('serializeOkPacket round-trips through parseOkPacket for each capability set', () => {
  const changes: SessionStateChange[] = [
    { kind: 'schema', schema: 'db1' },
    { kind: 'system-variable', name: 'time_zone', value: '+00:00' },
  ];
  for (const caps of [0, Capability.Transactions, P41, TRACK]) {
    const fields = { affectedRows: 5, lastInsertId: 9n ** 20n, statusFlags: 2, warnings: 3, info: 'done' };
    const ok = parseOkPacket(serializeOkPacket({ ...fields, sessionStateChanges: changes }, caps), caps);
    assert.equal(ok.affectedRows, 5);
    assert.equal(ok.lastInsertId, 9n ** 20n);
    assert.equal(ok.info, 'done');
    assert.equal(ok.warnings, caps & Capability.Protocol41 ? 3 : 0);
    assert.deepEqual(ok.sessionStateChanges, caps & Capability.SessionTrack ? changes : []);
  }
});

test('0xFE is OK under DEPRECATE_EOF and EOF without it', () => {
  const eofOk = serializeOkPacket({ header: 0xfe, statusFlags: 0x22, warnings: 1 }, P41);
  assert.equal(eofOk[0], 0xfe);
  const asOk = parseGenericPacket(eofOk, P41 | Capability.DeprecateEof);
  assert.equal(asOk.kind, 'ok');
  assert.equal(asOk.kind === 'ok' && asOk.header, 0xfe);
  assert.equal(isEofOkPacket(eofOk), true);

  const eof = serializeEofPacket(2, 0x0008, P41);
  assert.deepEqual([...eof], [0xfe, 2, 0, 8, 0]);
  assert.equal(isEofPacket(eof), true);
  assert.deepEqual(parseGenericPacket(eof, P41), { kind: 'eof', bytes: eof, warnings: 2, statusFlags: 8 });
  // A 9-byte 0xFE payload is a row (8-byte length prefix), never an EOF.
  const row = Buffer.from([0xfe, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(isEofPacket(row), false);
  assert.throws(() => parseGenericPacket(row, P41), isProtocolError);
  assert.throws(() => parseEofPacket(row, P41), isProtocolError);
});

test('ERR with the # SQLSTATE marker', () => {
  const payload = serializeErrPacket({ errno: 1045, sqlState: '28000', message: "Access denied for user 'a'" }, P41);
  assert.deepEqual(parseGenericPacket(payload, P41), {
    kind: 'err',
    bytes: payload,
    errno: 1045,
    sqlState: '28000',
    message: "Access denied for user 'a'",
  });
});

test('ERR without the marker (sent before the handshake) defaults SQLSTATE to HY000', () => {
  const payload = packetBuilder().u8(0xff).u16(1040).string('Too many connections').payload();
  for (const caps of [0, P41]) {
    const err = parseErrPacket(payload, caps);
    assert.deepEqual(
      [err.kind, err.kind === 'err' && err.errno, err.kind === 'err' && err.sqlState],
      ['err', 1040, 'HY000'],
    );
    assert.equal(err.kind === 'err' && err.message, 'Too many connections');
  }
  assert.deepEqual([...serializeErrPacket({ errno: 1040, message: 'x' }, 0)], [0xff, 0x10, 0x04, 0x78]);
});

test('a MariaDB progress report is recognized, not taken for an error', () => {
  const w = new BufferWriter();
  writeProgressPacket(w, 1, 2, 45.5, 'copy to tmp table');
  const payload = w.flush();
  assert.deepEqual(parseGenericPacket(payload, P41), {
    kind: 'progress',
    bytes: payload,
    stage: 1,
    maxStage: 2,
    progress: 45.5,
    info: 'copy to tmp table',
  });
});

test('generic packets split at every offset of the stream parse the same', () => {
  const payloads = [
    serializeOkPacket({ affectedRows: 1, info: 'x' }, TRACK),
    serializeErrPacket({ errno: 1064, sqlState: '42000', message: 'syntax' }, TRACK),
    serializeEofPacket(0, 2, TRACK),
  ];
  const wire = Buffer.concat(payloads.map((p, i) => packetBuilder().bytes(p).build(i)));
  const expected = payloads.map((p) => parseGenericPacket(p, TRACK).kind);
  for (const [head, tail] of splitsEverywhere(wire)) {
    const kinds = parseChunks([head, tail]).map((p) => parseGenericPacket(p.payload, TRACK).kind);
    assert.deepEqual(kinds, expected);
  }
});

test('every truncation of an OK, ERR, EOF or progress payload throws MysqlProtocolError or parses a prefix', () => {
  const w = new BufferWriter();
  writeProgressPacket(w, 1, 1, 1, 'p');
  const samples = [
    serializeOkPacket(
      { affectedRows: 300, lastInsertId: 70000, info: 'x', sessionStateChanges: [{ kind: 'schema', schema: 's' }] },
      TRACK,
    ),
    serializeErrPacket({ errno: 1064, sqlState: '42000', message: 'e' }, TRACK),
    serializeEofPacket(0, 2, TRACK),
    w.flush(),
  ];
  for (const sample of samples) {
    for (let cut = 0; cut < sample.length; cut++) {
      try {
        parseGenericPacket(sample.subarray(0, cut), TRACK);
      } catch (err) {
        assert.ok(isProtocolError(err), `cut ${cut} of ${sample.toString('hex')}: ${err}`);
      }
    }
  }
  // The cuts that cannot be valid must throw: an OK cut inside its counts.
  assert.throws(() => parseGenericPacket(samples[0]!.subarray(0, 3), TRACK), isProtocolError);
  assert.throws(() => parseGenericPacket(Buffer.alloc(0), TRACK), isProtocolError);
  assert.throws(() => parseGenericPacket(Buffer.from([0x01]), TRACK), isProtocolError);
});
