// Fuzz: what a client sends: HandshakeResponse41 (and the SSLRequest form), every COM_* payload
// with the binary parameter decoders behind COM_STMT_EXECUTE / COM_STMT_BULK_EXECUTE, and the
// command prefix the response tracker reads. See fuzz-kit.ts.
import { test } from 'node:test';
import {
  Capability,
  Command,
  createParamType,
  DEFAULT_COMMAND_LIMITS,
  MysqlProtocolError,
  PreparedStatementRegistry,
  parseClientCommand,
  parseClientHello,
  parseHandshakeResponse41,
  readTrackedCommand,
  serializeChangeUser,
  serializeFieldList,
  serializeHandshakeResponse41,
  serializeQuery,
  serializeSslRequest,
  serializeStmtBulkExecute,
  serializeStmtExecute,
  serializeStmtFetch,
  serializeStmtSendLongData,
} from '@gatehouse/mysql-protocol';
import fc from 'fast-check';
import { bytesNear, FUZZ_RUNS, fuzzDecoder } from './fuzz-kit.js';

const CAPS =
  (Capability.Protocol41 |
    Capability.SecureConnection |
    Capability.PluginAuth |
    Capability.PluginAuthLenencClientData |
    Capability.ConnectAttrs |
    Capability.ConnectWithDb |
    Capability.DeprecateEof |
    Capability.MultiResults) >>>
  0;
const CAPS_QA = (CAPS | Capability.QueryAttributes) >>> 0;

test(`fuzz: parseHandshakeResponse41 and parseClientHello on ${FUZZ_RUNS} payloads raise only MysqlProtocolError`, () => {
  const samples = [
    serializeHandshakeResponse41({
      capabilities: CAPS,
      maxPacketSize: 1 << 24,
      characterSet: 45,
      username: 'alice',
      authResponse: Buffer.alloc(20, 3),
      database: 'app',
      authPluginName: 'caching_sha2_password',
      attributes: new Map([
        ['_client_name', 'libmariadb'],
        ['program_name', 'mariadb'],
      ]),
    }),
    serializeHandshakeResponse41({
      capabilities: (CAPS & ~Capability.PluginAuthLenencClientData) >>> 0,
      mariaDbCapabilities: 0x1d,
      maxPacketSize: 1 << 24,
      characterSet: 33,
      username: 'u',
      authResponse: Buffer.alloc(0),
      authPluginName: 'mysql_native_password',
    }),
    serializeSslRequest({ capabilities: (CAPS | Capability.Ssl) >>> 0, maxPacketSize: 1 << 24, characterSet: 45 }),
  ];
  fuzzDecoder(bytesNear(samples, 300), (p) => parseHandshakeResponse41(p), [MysqlProtocolError]);
  fuzzDecoder(bytesNear(samples, 300), (p) => parseClientHello(p), [MysqlProtocolError]);
});

const LONG = createParamType(0x03);
const VARSTRING = createParamType(0xfd);
const DATETIME = createParamType(0x0c);
const COMMAND_SAMPLES = [
  serializeQuery('SELECT 1', { capabilities: CAPS_QA, attributes: [{ type: VARSTRING, name: 'k', value: 'v' }] }),
  serializeStmtExecute(
    {
      statementId: 1,
      params: [
        { type: LONG, value: 5 },
        { type: VARSTRING, value: 'abc' },
        {
          type: DATETIME,
          value: { kind: 'datetime', year: 2020, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: 6 },
        },
      ],
    },
    { capabilities: CAPS },
  ),
  serializeStmtBulkExecute({
    statementId: 2,
    types: [LONG, VARSTRING],
    rows: [
      [1, 'a'],
      [null, { kind: 'default' }],
    ],
  }),
  serializeChangeUser(
    { user: 'u', authResponse: Buffer.alloc(20, 1), schema: 'd', characterSet: 33, authPlugin: 'p' },
    { capabilities: CAPS },
  ),
  serializeStmtFetch(1, 10),
  serializeStmtSendLongData(1, 0, Buffer.from('data')),
  serializeFieldList('t', '%'),
];

const COMMAND_BYTES = [...Object.values(Command), 0x22, 0x7f, 0xff];

function createRegistry(): PreparedStatementRegistry {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(1, 3);
  registry.recordPrepared(2, 2);
  registry.recordPrepared(3, 200);
  return registry;
}

test(`fuzz: parseClientCommand on ${FUZZ_RUNS} payloads for every command byte raises only MysqlProtocolError`, () => {
  const small = { ...DEFAULT_COMMAND_LIMITS, maxParams: 8, maxValueBytes: 32, maxBulkRows: 4, maxTextBytes: 64 };
  fuzzDecoder(
    fc.tuple(
      bytesNear(COMMAND_SAMPLES, 200),
      fc.constantFrom(...COMMAND_BYTES),
      fc.constantFrom(CAPS, CAPS_QA, 0),
      fc.boolean(),
      fc.nat({ max: 1_000_000 }),
    ),
    ([payload, commandByte, capabilities, smallLimits, extra]) => {
      const bytes = Buffer.concat([Buffer.from([commandByte]), payload.subarray(1)]);
      const registry = createRegistry();
      const options = {
        capabilities,
        registry,
        ...(smallLimits ? { limits: small } : {}),
        ...(extra % 3 === 0 ? { payloadLength: bytes.length + extra } : {}),
      };
      // Twice: the second execute reuses the types the first one bound.
      registry.observe(parseClientCommand(bytes, options));
      parseClientCommand(bytes, options);
    },
    [MysqlProtocolError],
  );
});

test(`fuzz: readTrackedCommand on ${FUZZ_RUNS} command prefixes raises only MysqlProtocolError`, () => {
  fuzzDecoder(
    fc.tuple(bytesNear(COMMAND_SAMPLES, 40), fc.nat()),
    ([p, extra]) => readTrackedCommand(p, p.length + (extra % 4)),
    [MysqlProtocolError],
  );
});
