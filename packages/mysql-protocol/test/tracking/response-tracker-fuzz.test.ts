// Seeded random input: the tracker may only ever raise MysqlProtocolError, never another
// exception, and every call returns (it is synchronous, so returning is not hanging).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '../../src/testing/index.js';
import { createResponseTracker, type TrackedCommand } from '../../src/tracking/index.js';
import { Capability, MariaDbCapability } from '../../src/wire/capabilities.js';
import { Command, ServerStatus } from '../../src/wire/constants.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';
import { createClientFeed } from './client-feed.js';
import { BASE_CAPS, ReplyBuilder } from './reply-builder.js';

const COMMANDS = [
  Command.Query,
  Command.StmtPrepare,
  Command.StmtExecute,
  Command.StmtFetch,
  Command.FieldList,
  Command.Statistics,
  Command.Ping,
  Command.StmtClose,
  Command.ChangeUser,
  Command.BinlogDump,
  Command.StmtBulkExecute,
  0x42,
];

function randomCaps(random: () => number): { capabilities: number; mariadbCapabilities: number } {
  let capabilities = BASE_CAPS;
  if (random() < 0.5) capabilities |= Capability.DeprecateEof;
  if (random() < 0.5) capabilities |= Capability.SessionTrack;
  const mariadbCapabilities = random() < 0.3 ? MariaDbCapability.CacheMetadata | MariaDbCapability.Progress : 0;
  return { capabilities, mariadbCapabilities };
}

function randomCommand(random: () => number): TrackedCommand {
  const command = COMMANDS[Math.floor(random() * COMMANDS.length)] as number;
  return { command, statementId: 1, cursor: random() < 0.5 };
}

/** Feeds the stream in random chunks; returns whether it stopped on a protocol error. */
function feed(random: () => number, server: Buffer, client?: Buffer): boolean {
  const tracker = createResponseTracker({ ...randomCaps(random), onOutcome: () => {}, onProgress: () => {} });
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) tracker.onCommand(randomCommand(random));
  const pushClient = createClientFeed(tracker);
  try {
    let at = 0;
    while (at < server.length) {
      const next = Math.min(server.length, at + 1 + Math.floor(random() * 40));
      tracker.pushServer(server.subarray(at, next));
      if (client !== undefined && random() < 0.2) pushClient(client);
      at = next;
    }
    return false;
  } catch (err) {
    if (!(err instanceof MysqlProtocolError)) throw err;
    return true;
  }
}

function randomBytes(random: () => number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** Random bytes framed as packets with small lengths, so the tracker sees many packet starts. */
function randomPackets(random: () => number): Buffer {
  const parts: Buffer[] = [];
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * 24);
    const payload = randomBytes(random, length);
    // Bias the first byte toward the interesting headers.
    if (length > 0 && random() < 0.6)
      payload[0] = [0x00, 0x01, 0x03, 0xfb, 0xfe, 0xff][Math.floor(random() * 6)] as number;
    parts.push(Buffer.from([length, 0, 0, i + 1]), payload);
  }
  return Buffer.concat(parts);
}

test('100k random server streams raise only MysqlProtocolError', () => {
  const random = createSeededRandom(0x5eed).next;
  let errors = 0;
  for (let i = 0; i < 100_000; i++) {
    const server = i % 2 === 0 ? randomBytes(random, Math.floor(random() * 48)) : randomPackets(random);
    if (feed(random, server, randomPackets(random))) errors++;
  }
  // Both outcomes happen: random input is mostly rejected, sometimes accepted.
  assert.ok(errors > 1000 && errors < 100_000, `${errors} protocol errors`);
});

test('20k mutations of valid replies raise only MysqlProtocolError', () => {
  const random = createSeededRandom(0xbad5eed).next;
  const valid: Buffer[] = [];
  for (const caps of [BASE_CAPS, BASE_CAPS | Capability.DeprecateEof]) {
    const b = new ReplyBuilder(caps)
      .reply()
      .columns(2)
      .textRow('a', null)
      .textRow('', 'b')
      .terminator(ServerStatus.MoreResultsExists);
    b.ok({ affectedRows: 1, statusFlags: ServerStatus.MoreResultsExists }).err(1064, 'syntax');
    b.reply().prepareOk(3, 1, 1).columnDef('?').metadataEnd().columnDef('x').metadataEnd();
    b.reply().infileRequest('f.csv').ok();
    b.reply().progress(1, 1, 5, 'p').columnCount(1, 1).columnDef('c').metadataEnd().binaryRow(4).terminator();
    valid.push(b.build());
  }
  for (let i = 0; i < 20_000; i++) {
    const source = valid[i % valid.length] as Buffer;
    const mutated = Buffer.from(source);
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    const cut = random() < 0.3 ? Math.floor(random() * mutated.length) : mutated.length;
    feed(random, mutated.subarray(0, cut), Buffer.from([0, 0, 0, 2]));
  }
});
