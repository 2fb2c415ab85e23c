import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import {
  AuthPacket,
  HandshakeChannel,
  parseAuthMoreData,
  parseAuthNextFactor,
  parseAuthSwitchRequest,
  parseClientHello,
  parseHandshakeResponse41,
  parseHandshakeV10,
  serializeAuthMoreData,
  serializeAuthNextFactor,
  serializeAuthSwitchRequest,
  serializeHandshakeResponse41,
  serializeHandshakeV10,
  serializeSslRequest,
  stripMariaDbVersionPrefix,
} from '../../src/connection/index.js';
import { createSeededRandom, packetBuilder, splitsEverywhere } from '../../src/testing/index.js';
import { Capability, MariaDbCapability } from '../../src/wire/capabilities.js';
import { serializePacket } from '../../src/wire/packet-writer.js';
import { MysqlProtocolError } from '../../src/wire/protocol-error.js';

const nonce = Buffer.from('abcdefghijklmnopqrst');
const BASE =
  Capability.Protocol41 | Capability.SecureConnection | Capability.PluginAuth | Capability.PluginAuthLenencClientData;
const MYSQL_CAPS =
  (BASE | Capability.LongPassword | Capability.Ssl | Capability.ConnectWithDb | Capability.ConnectAttrs) >>> 0;
const MARIADB_CAPS = (BASE | Capability.Ssl | Capability.ConnectAttrs) >>> 0;

const greetingFields = {
  serverVersion: '5.5.5-10.11.6-MariaDB-log',
  connectionId: 0xfedcba98,
  authPluginData: nonce,
  capabilities: MARIADB_CAPS,
  mariaDbCapabilities: MariaDbCapability.Progress | MariaDbCapability.StmtBulkOperations,
  characterSet: 45,
  statusFlags: 2,
  authPluginName: 'mysql_native_password',
};

test('HandshakeV10 round-trips, MariaDB extended capabilities only when CLIENT_MYSQL is clear', () => {
  const maria = parseHandshakeV10(serializeHandshakeV10(greetingFields));
  assert.equal(maria.serverVersion, '5.5.5-10.11.6-MariaDB-log');
  assert.equal(maria.connectionId, 0xfedcba98);
  assert.deepEqual(maria.authPluginData, nonce);
  assert.equal(maria.capabilities, MARIADB_CAPS);
  assert.equal(maria.mariaDbCapabilities, greetingFields.mariaDbCapabilities);
  assert.equal(maria.authPluginName, 'mysql_native_password');
  assert.equal(stripMariaDbVersionPrefix(maria.serverVersion), '10.11.6-MariaDB-log');
  assert.equal(stripMariaDbVersionPrefix('5.5.5-custom'), '5.5.5-custom');
  const mysql = parseHandshakeV10(
    serializeHandshakeV10({ ...greetingFields, serverVersion: '8.0.36', capabilities: MYSQL_CAPS }),
  );
  assert.equal(mysql.mariaDbCapabilities, 0);
  assert.equal(mysql.capabilities, MYSQL_CAPS);
});

test('HandshakeV10 from a MySQL 5.5.8 server without the plugin name NUL still parses', () => {
  const bytes = serializeHandshakeV10({ ...greetingFields, capabilities: MYSQL_CAPS });
  const parsed = parseHandshakeV10(bytes.subarray(0, bytes.length - 1));
  assert.equal(parsed.authPluginName, 'mysql_native_password');
});

test('HandshakeV10 with a protocol version other than 10 is a protocol error', () => {
  const bytes = Buffer.from(serializeHandshakeV10(greetingFields));
  bytes[0] = 9;
  assert.throws(() => parseHandshakeV10(bytes), MysqlProtocolError);
});

test('SSLRequest is 32 bytes, carries CLIENT_SSL and MariaDB capabilities', () => {
  const bytes = serializeSslRequest({
    capabilities: MARIADB_CAPS,
    mariaDbCapabilities: 0x1c,
    maxPacketSize: 1 << 24,
    characterSet: 45,
  });
  assert.equal(bytes.length, 32);
  const parsed = parseClientHello(bytes);
  assert.equal(parsed.kind, 'ssl-request');
  assert.equal(parsed.mariaDbCapabilities, 0x1c);
  assert.equal(parsed.maxPacketSize, 1 << 24);
});

const responseFields = {
  capabilities: MARIADB_CAPS | Capability.ConnectWithDb,
  mariaDbCapabilities: MariaDbCapability.Progress,
  maxPacketSize: 0x40000000,
  characterSet: 45,
  username: 'alice',
  authResponse: Buffer.alloc(300, 7),
  database: 'app',
  authPluginName: 'caching_sha2_password',
  attributes: new Map([
    ['_client_name', 'libmariadb'],
    ['program_name', 'mysql'],
  ]),
};

test('HandshakeResponse41 round-trips with lenenc auth data, database, plugin and attributes', () => {
  const parsed = parseHandshakeResponse41(serializeHandshakeResponse41(responseFields));
  assert.equal(parsed.username, 'alice');
  assert.deepEqual(parsed.authResponse, responseFields.authResponse);
  assert.equal(parsed.database, 'app');
  assert.equal(parsed.authPluginName, 'caching_sha2_password');
  assert.deepEqual([...parsed.attributes], [...responseFields.attributes]);
  assert.equal(parsed.mariaDbCapabilities, MariaDbCapability.Progress);
  assert.equal(parsed.attributesWarning, undefined);
});

test('HandshakeResponse41 with 1-byte auth data and no plugin name (native password)', () => {
  const caps = (Capability.Protocol41 | Capability.SecureConnection | Capability.LongPassword) >>> 0;
  const bytes = serializeHandshakeResponse41({
    ...responseFields,
    capabilities: caps,
    authResponse: nonce,
    authPluginName: '',
  });
  const parsed = parseHandshakeResponse41(bytes);
  assert.deepEqual(parsed.authResponse, nonce);
  assert.equal(parsed.authPluginName, '');
  assert.equal(parsed.database, '');
  assert.equal(parsed.mariaDbCapabilities, 0);
});

test('a malformed connection-attribute block is dropped with a warning, never fatal', () => {
  const good = serializeHandshakeResponse41({ ...responseFields, attributes: new Map([['k', 'v']]) });
  // The block is "\x04 \x01k \x01v" at the end: claim 9 bytes instead of 4.
  const claimsTooMuch = Buffer.from(good);
  claimsTooMuch[claimsTooMuch.length - 5] = 9;
  const broken = parseHandshakeResponse41(claimsTooMuch);
  assert.equal(broken.attributes.size, 0);
  assert.match(broken.attributesWarning ?? '', /claim 9 bytes/);
  // A value whose length runs past the block.
  const pastBlock = Buffer.from(good);
  pastBlock[pastBlock.length - 2] = 5;
  const parsed = parseHandshakeResponse41(pastBlock);
  assert.equal(parsed.username, 'alice');
  assert.match(parsed.attributesWarning ?? '', /malformed connection attributes/);
});

test('auth messages round-trip', () => {
  const sw = parseAuthSwitchRequest(serializeAuthSwitchRequest('client_ed25519', nonce));
  assert.equal(sw.pluginName, 'client_ed25519');
  assert.deepEqual(sw.pluginData, nonce);
  assert.deepEqual(parseAuthMoreData(serializeAuthMoreData(Buffer.from([3]))).data, Buffer.from([3]));
  const nf = parseAuthNextFactor(serializeAuthNextFactor('authentication_fido_client', Buffer.from([1, 2])));
  assert.equal(nf.pluginName, 'authentication_fido_client');
  assert.throws(() => parseAuthSwitchRequest(Buffer.from([AuthPacket.Switch])), MysqlProtocolError);
});

const fixtures: [string, Buffer][] = [
  ['HandshakeV10', serializeHandshakeV10(greetingFields)],
  ['HandshakeResponse41', serializeHandshakeResponse41(responseFields)],
  ['SSLRequest', serializeSslRequest({ capabilities: MARIADB_CAPS, maxPacketSize: 1 << 24, characterSet: 45 })],
  ['AuthSwitchRequest', serializeAuthSwitchRequest('caching_sha2_password', Buffer.concat([nonce, Buffer.from([0])]))],
];

test('the handshake channel delivers each fixture whole when split at every offset, and keeps what follows', async () => {
  for (const [name, payload] of fixtures) {
    const wire = Buffer.concat([serializePacket(payload, 3), Buffer.from('trailing')]);
    for (const [head, tail] of splitsEverywhere(wire)) {
      const stream = new PassThrough();
      const channel = new HandshakeChannel(stream, 'test');
      const read = channel.readPacket();
      // Emitted synchronously, as a socket delivers its chunks.
      stream.emit('data', head);
      stream.emit('data', tail);
      const packet = await read;
      assert.deepEqual(packet.payload, payload, `${name} split at ${head.length}`);
      assert.equal(packet.sequenceId, 3);
      assert.equal(channel.detach().toString(), 'trailing');
    }
  }
});

const parsers: [string, (b: Buffer) => unknown][] = [
  ['parseHandshakeV10', parseHandshakeV10],
  ['parseClientHello', parseClientHello],
  ['parseHandshakeResponse41', parseHandshakeResponse41],
  ['parseAuthSwitchRequest', parseAuthSwitchRequest],
  ['parseAuthMoreData', parseAuthMoreData],
  ['parseAuthNextFactor', parseAuthNextFactor],
];

test('every truncation of every fixture parses or raises MysqlProtocolError only', () => {
  for (const [, payload] of fixtures) {
    for (let n = 0; n <= payload.length; n++) {
      for (const [name, parse] of parsers) {
        try {
          parse(payload.subarray(0, n));
        } catch (err) {
          assert.ok(err instanceof MysqlProtocolError, `${name} on ${n} bytes threw ${String(err)}`);
        }
      }
    }
  }
});

test('seeded random input (100k cases per parser) raises only MysqlProtocolError', () => {
  const rng = createSeededRandom(0x5eed);
  for (const [name, parse] of parsers) {
    for (let i = 0; i < 100_000; i++) {
      // Half the cases start from a real fixture with a few bytes flipped, so parsing goes deep.
      let input: Buffer;
      if (i % 2 === 0) input = rng.bytes(rng.int(80));
      else {
        const base = fixtures[rng.int(fixtures.length)]![1];
        input = Buffer.from(base.subarray(0, rng.int(base.length + 1)));
        for (let k = rng.int(4); k >= 0 && input.length > 0; k--) input[rng.int(input.length)] = rng.int(256);
      }
      try {
        parse(input);
      } catch (err) {
        if (!(err instanceof MysqlProtocolError))
          assert.fail(`${name} case ${i} (${input.toString('hex')}) threw ${String(err)}`);
      }
    }
  }
});

test('packet builder fixtures: a HandshakeV10 without CLIENT_SECURE_CONNECTION has an 8-byte nonce', () => {
  const bytes = packetBuilder()
    .u8(10)
    .nulString('4.1.0')
    .u32(1)
    .bytes(nonce.subarray(0, 8))
    .u8(0)
    .u16(Capability.Protocol41)
    .u8(8)
    .u16(2)
    .u16(0)
    .u8(0)
    .fill(10)
    .payload();
  const parsed = parseHandshakeV10(bytes);
  assert.equal(parsed.authPluginData.length, 8);
  assert.equal(parsed.authPluginName, '');
});
