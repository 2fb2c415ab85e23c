// Fuzz: the MySQL framer and the generic server packets (OK, ERR, EOF, session-state changes,
// the server greeting). See fuzz-kit.ts for the contract and the knobs.
import { test } from 'node:test';
import {
  Capability,
  MysqlProtocolError,
  PacketParser,
  parseEofPacket,
  parseErrPacket,
  parseGenericPacket,
  parseHandshakeV10,
  parseOkPacket,
  parseSessionStateChanges,
  serializeErrPacket,
  serializeHandshakeV10,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import fc from 'fast-check';
import { bytesNear, chunked, FUZZ_RUNS, fuzzDecoder } from './fuzz-kit.js';

const CAPS =
  (Capability.Protocol41 | Capability.SessionTrack | Capability.DeprecateEof | Capability.Transactions) >>> 0;

const FRAMES = [
  Buffer.concat([serializePacket(Buffer.from('\x03SELECT 1'), 0), serializePacket(Buffer.alloc(0), 1)]),
  serializePacket(Buffer.alloc(300, 7), 3),
];

test(`fuzz: PacketParser on ${FUZZ_RUNS} chunked streams raises only MysqlProtocolError`, () => {
  fuzzDecoder(
    fc.tuple(chunked(bytesNear(FRAMES, 700)), fc.integer({ min: 0, max: 1024 }), fc.integer({ min: -1, max: 255 })),
    ([chunks, max, expected]) => {
      const parser = new PacketParser({ maxPacketSize: max });
      if (expected >= 0) parser.expectSequence(expected);
      for (const chunk of chunks) parser.push(chunk, () => {});
    },
    [MysqlProtocolError],
  );
});

const OK = serializeOkPacket({ affectedRows: 3, lastInsertId: 9, statusFlags: 2, warnings: 1, info: 'x' }, CAPS);
const ERR = serializeErrPacket({ errno: 1146, sqlState: '42S02', message: "Table 't' doesn't exist" }, CAPS);

test(`fuzz: OK, ERR, EOF and generic packets, ${FUZZ_RUNS} payloads each, raise only MysqlProtocolError`, () => {
  const payloads = bytesNear([OK, ERR, Buffer.from([0xfe, 0, 0, 2, 0])], 200);
  const caps = fc.constantFrom(CAPS, 0, Capability.Protocol41);
  fuzzDecoder(fc.tuple(payloads, caps), ([p, c]) => parseOkPacket(p, c), [MysqlProtocolError]);
  fuzzDecoder(fc.tuple(payloads, caps), ([p, c]) => parseErrPacket(p, c), [MysqlProtocolError]);
  fuzzDecoder(fc.tuple(payloads, caps), ([p, c]) => parseEofPacket(p, c), [MysqlProtocolError]);
  fuzzDecoder(fc.tuple(payloads, caps), ([p, c]) => parseGenericPacket(p, c), [MysqlProtocolError]);
  fuzzDecoder(
    bytesNear([Buffer.from([0, 5, 4, 3, 65, 66, 67, 1, 2, 1, 48])], 100),
    (p) => parseSessionStateChanges(p),
    [MysqlProtocolError],
  );
});

test(`fuzz: parseHandshakeV10 on ${FUZZ_RUNS} greetings raises only MysqlProtocolError`, () => {
  const greeting = serializeHandshakeV10({
    serverVersion: '5.5.5-10.11.6-MariaDB',
    connectionId: 7,
    authPluginData: Buffer.alloc(20, 0x41),
    capabilities: 0xf7fffffe,
    mariaDbCapabilities: 0x1d,
    characterSet: 45,
    statusFlags: 2,
    authPluginName: 'mysql_native_password',
  });
  fuzzDecoder(bytesNear([greeting], 200), (p) => parseHandshakeV10(p), [MysqlProtocolError]);
});
