// Fuzz: the response tracker, which reads every server reply (result sets in text and binary
// form, OK/ERR/EOF, prepare replies, LOCAL INFILE requests) to find where it ends. Random and
// mutated server streams after each kind of command. See fuzz-kit.ts.
import { test } from 'node:test';
import {
  Capability,
  Command,
  createResponseTracker,
  MysqlProtocolError,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import fc from 'fast-check';
import { bytesNear, chunked, FUZZ_RUNS, fuzzDecoder } from './fuzz-kit.js';

const CAPS =
  (Capability.Protocol41 | Capability.SessionTrack | Capability.MultiResults | Capability.PsMultiResults) >>> 0;

function stream(...payloads: number[][]): Buffer {
  return Buffer.concat(payloads.map((p, i) => serializePacket(Buffer.from(p), (i + 1) & 0xff)));
}

const COLUMN = [3, 0x64, 0x65, 0x66, 0, 0, 0, 1, 0x61, 0, 0x0c, 0x21, 0, 0x0b, 0, 0, 0, 0x03, 0, 0, 0, 0, 0];
const REPLIES = [
  stream([0, 1, 0, 2, 0, 0, 0]),
  stream([0xff, 0x7a, 0x04, 0x23, 0x34, 0x32, 0x53, 0x30, 0x32, 0x78]),
  stream([1], COLUMN, [0xfe, 0, 0, 2, 0], [1, 0x31], [0xfe, 0, 0, 2, 0]),
  stream([1], COLUMN, [0xfe, 0, 0, 2, 0], [0, 0, 1, 0, 0, 0], [0xfe, 0, 0, 2, 0]),
  stream([0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0], COLUMN, [0xfe, 0, 0, 2, 0], COLUMN, [0xfe, 0, 0, 2, 0]),
  stream([0xfb, 0x2f, 0x74, 0x6d, 0x70]),
];

const COMMANDS = [
  { command: Command.Query },
  { command: Command.StmtPrepare },
  { command: Command.StmtExecute, statementId: 1, cursor: false },
  { command: Command.StmtExecute, statementId: 1, cursor: true },
  { command: Command.StmtFetch, statementId: 1 },
  { command: Command.FieldList },
  { command: Command.Statistics },
  { command: Command.Ping },
  { command: Command.ChangeUser },
  { command: Command.BinlogDump },
  { command: Command.StmtBulkExecute, statementId: 1 },
];

test(`fuzz: the response tracker on ${FUZZ_RUNS} server streams raises only MysqlProtocolError`, () => {
  fuzzDecoder(
    fc.tuple(
      fc.array(fc.constantFrom(...COMMANDS), { minLength: 1, maxLength: 3 }),
      chunked(bytesNear(REPLIES, 300)),
      fc.constantFrom(CAPS, (CAPS | Capability.DeprecateEof) >>> 0),
    ),
    ([commands, chunks, capabilities]) => {
      const tracker = createResponseTracker({ capabilities, onOutcome: () => {} });
      for (const c of commands) tracker.onCommand(c);
      for (const chunk of chunks) tracker.pushServer(chunk);
    },
    [MysqlProtocolError],
  );
});
