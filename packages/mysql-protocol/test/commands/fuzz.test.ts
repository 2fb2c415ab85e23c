// Seeded random input for every command parser: only MysqlProtocolError (or a typed command,
// `unknown` included) may come out. Half the cases are random bytes behind the command byte,
// half are valid commands with bytes overwritten, which reach much deeper into the parsers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CommandParseOptions,
  createParamType,
  DEFAULT_COMMAND_LIMITS,
  PreparedStatementRegistry,
  parseClientCommand,
  serializeChangeUser,
  serializeQuery,
  serializeStmtBulkExecute,
  serializeStmtExecute,
  toJsonValue,
} from '../../src/commands/index.js';
import { createSeededRandom, type SeededRandom } from '../../src/testing/index.js';
import { Command, MysqlProtocolError } from '../../src/wire/index.js';
import { CAPS, CAPS_QA } from './helpers.js';
import { EVERY_TYPE } from './param-fixtures.js';

const CASES_PER_PARSER = 100_000;
const SMALL_LIMITS = { ...DEFAULT_COMMAND_LIMITS, maxParams: 8, maxValueBytes: 32, maxBulkRows: 4, maxTextBytes: 64 };

const SMALL_PARAMS = EVERY_TYPE.filter((p) => !(typeof p.value === 'object' && p.value?.kind === 'bytes'));

const SEEDS: Buffer[] = [
  serializeQuery('SELECT 1', { capabilities: CAPS_QA, attributes: EVERY_TYPE.slice(0, 12) }),
  serializeStmtExecute({ statementId: 1, params: SMALL_PARAMS }, { capabilities: CAPS }),
  serializeStmtExecute({ statementId: 2, params: EVERY_TYPE.slice(0, 6) }, { capabilities: CAPS_QA }),
  serializeStmtBulkExecute({
    statementId: 3,
    types: [createParamType(0x03), createParamType(0xfd), createParamType(0x0c)],
    rows: [
      [1, 'a', { kind: 'datetime', year: 2020, month: 1, day: 2, hour: 0, minute: 0, second: 0, microsecond: 0 }],
      [null, { kind: 'default' }, { kind: 'ignore' }],
    ],
  }),
  serializeChangeUser(
    {
      user: 'u',
      authResponse: Buffer.alloc(20, 1),
      schema: 'd',
      characterSet: 33,
      authPlugin: 'p',
      attributes: [['k', 'v']],
    },
    { capabilities: CAPS },
  ),
];

function createRegistry(): PreparedStatementRegistry {
  const registry = new PreparedStatementRegistry();
  registry.recordPrepared(0, 0);
  registry.recordPrepared(1, SMALL_PARAMS.length);
  registry.recordPrepared(2, 6);
  registry.recordPrepared(3, 3);
  registry.recordPrepared(0x01010101, 200);
  return registry;
}

function randomOptions(rnd: SeededRandom, registry: PreparedStatementRegistry, length: number): CommandParseOptions {
  const roll = rnd.int(4);
  return {
    capabilities: rnd.int(2) === 0 ? CAPS : CAPS_QA,
    registry,
    limits: roll === 0 ? SMALL_LIMITS : DEFAULT_COMMAND_LIMITS,
    ...(roll === 1 ? { payloadLength: length + rnd.int(1_000_000) } : {}),
  };
}

function mutate(rnd: SeededRandom, seed: Buffer, commandByte: number): Buffer {
  const out = Buffer.from(seed.subarray(0, 1 + rnd.int(seed.length)));
  out[0] = commandByte;
  for (let flips = rnd.int(4); flips >= 0; flips--) {
    if (out.length > 1) out[1 + rnd.int(out.length - 1)] = rnd.int(256);
  }
  return out;
}

const COMMAND_BYTES = [...new Set(Object.values(Command))];

for (const commandByte of COMMAND_BYTES) {
  test(`fuzz: ${CASES_PER_PARSER} seeded random payloads for command 0x${commandByte.toString(16)} only raise MysqlProtocolError`, () => {
    const rnd = createSeededRandom(0x5eed0000 + commandByte);
    let registry = createRegistry();
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < CASES_PER_PARSER; i++) {
      let payload: Buffer;
      if (i % 2 === 0) {
        payload = rnd.bytes(1 + rnd.int(48));
        payload[0] = commandByte;
      } else {
        payload = mutate(rnd, SEEDS[rnd.int(SEEDS.length)]!, commandByte);
      }
      if (i % 1000 === 0) registry = createRegistry();
      try {
        const cmd = parseClientCommand(payload, randomOptions(rnd, registry, payload.length));
        assert.equal(cmd.bytes, payload);
        registry.observe(cmd);
        // What reaches the audit log must serialize whatever the input was.
        if (cmd.kind === 'stmt_execute') JSON.stringify(cmd.params?.map((p) => toJsonValue(p.value)));
        if (cmd.kind === 'stmt_bulk_execute') JSON.stringify(cmd.rows?.map((r) => r.map(toJsonValue)));
        if (cmd.kind === 'query') JSON.stringify(cmd.attributes?.map((p) => toJsonValue(p.value)));
        parsed++;
      } catch (err) {
        if (!(err instanceof MysqlProtocolError)) {
          assert.fail(`case ${i} (${payload.toString('hex')}) threw ${String(err)}`);
        }
        rejected++;
      }
    }
    assert.equal(parsed + rejected, CASES_PER_PARSER);
  });
}
