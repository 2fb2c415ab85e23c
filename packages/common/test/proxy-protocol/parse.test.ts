import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import {
  createTrustedNetworks,
  detectProxyHeader,
  ProxyProtocolError,
  parseProxyHeader,
  serializeProxyHeaderV1,
  serializeProxyHeaderV2,
  serializeProxyHeaderV2Local,
} from '../../src/proxy-protocol/index.js';

const mysqlBytes = Buffer.from([0x20, 0x00, 0x00, 0x01, 0x85, 0xa6]);

const fixtures = [
  {
    name: 'v1 TCP4',
    bytes: serializeProxyHeaderV1('203.0.113.7', 51000, '10.0.0.1', 3036),
    src: '203.0.113.7',
    port: 51000,
  },
  {
    name: 'v1 TCP6',
    bytes: serializeProxyHeaderV1('2001:db8::7', 40000, '2001:db8::1', 3036),
    src: '2001:db8::7',
    port: 40000,
  },
  {
    name: 'v2 TCP4',
    bytes: serializeProxyHeaderV2('198.51.100.9', 1234, '10.0.0.1', 3036),
    src: '198.51.100.9',
    port: 1234,
  },
  {
    name: 'v2 TCP6',
    bytes: serializeProxyHeaderV2('2001:db8::9', 4321, '2001:db8::1', 3036),
    src: '2001:db8::9',
    port: 4321,
  },
];

for (const f of fixtures) {
  test(`${f.name}: parses at every split offset and leaves the MySQL bytes after it`, () => {
    const whole = Buffer.concat([f.bytes, mysqlBytes]);
    for (let cut = 0; cut < f.bytes.length; cut++) {
      const result = parseProxyHeader(whole.subarray(0, cut));
      assert.equal(result.status, 'incomplete', `cut at ${cut}`);
    }
    const result = parseProxyHeader(whole);
    assert.equal(result.status, 'complete');
    if (result.status !== 'complete' || result.header.kind !== 'proxied') return assert.fail('not proxied');
    assert.equal(result.length, f.bytes.length);
    assert.equal(result.header.source.address, f.src);
    assert.equal(result.header.source.port, f.port);
    assert.equal(result.header.destination.port, 3036);
    assert.deepEqual(whole.subarray(result.length), mysqlBytes);
  });
}

test('v1 UNKNOWN and v2 LOCAL are local connections without an address', () => {
  const unknown = parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'));
  assert.deepEqual(unknown, { status: 'complete', header: { kind: 'local', version: 1 }, length: 15 });
  const local = parseProxyHeader(serializeProxyHeaderV2Local());
  assert.deepEqual(local, { status: 'complete', header: { kind: 'local', version: 2 }, length: 16 });
});

test('a MySQL HandshakeResponse is not a PROXY header', () => {
  assert.equal(parseProxyHeader(mysqlBytes).status, 'absent');
  assert.equal(detectProxyHeader(Buffer.from('PROXZ')), 'no');
  assert.equal(detectProxyHeader(Buffer.from('PRO')), 'maybe');
  assert.equal(detectProxyHeader(Buffer.alloc(0)), 'maybe');
});

const malformed: Array<[string, Buffer]> = [
  ['v1 with a bad protocol', Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n')],
  ['v1 with a bad address', Buffer.from('PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n')],
  ['v1 with an IPv6 address under TCP4', Buffer.from('PROXY TCP4 ::1 5.6.7.8 1 2\r\n')],
  ['v1 with a port out of range', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n')],
  ['v1 with a leading-zero port', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n')],
  ['v1 with too few fields', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n')],
  ['v1 without CRLF in 107 bytes', Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)],
  [
    'v2 with version 3',
    Buffer.concat([serializeProxyHeaderV2Local().subarray(0, 12), Buffer.from([0x31, 0x11, 0, 0])]),
  ],
  [
    'v2 with command 5',
    Buffer.concat([serializeProxyHeaderV2Local().subarray(0, 12), Buffer.from([0x25, 0x11, 0, 0])]),
  ],
  [
    'v2 IPv4 with a short body',
    Buffer.concat([serializeProxyHeaderV2Local().subarray(0, 12), Buffer.from([0x21, 0x11, 0, 4, 1, 2, 3, 4])]),
  ],
  [
    'v2 longer than the cap',
    Buffer.concat([serializeProxyHeaderV2Local().subarray(0, 12), Buffer.from([0x21, 0x11, 0xff, 0xff])]),
  ],
];
for (const [what, bytes] of malformed) {
  test(`${what} is a ProxyProtocolError`, () => {
    assert.throws(
      () => parseProxyHeader(bytes),
      (err: unknown) => err instanceof ProxyProtocolError && err.code === 'GH_ERR_PROXY_PROTOCOL',
    );
  });
}

test('seeded random input only ever yields a result or a ProxyProtocolError', () => {
  const random = createSeededRandom(0x5eed).next;
  const seeds = fixtures.map((f) => f.bytes);
  for (let i = 0; i < 100_000; i++) {
    // Mutate a valid header most of the time, so the fuzz reaches deep into the parser.
    const base = i % 4 === 0 ? Buffer.alloc(Math.floor(random() * 64)) : Buffer.from(seeds[i % seeds.length]!);
    const flips = 1 + Math.floor(random() * 4);
    for (let j = 0; j < flips && base.length > 0; j++)
      base[Math.floor(random() * base.length)] = Math.floor(random() * 256);
    const input = base.subarray(0, Math.floor(random() * (base.length + 1)));
    try {
      const result = parseProxyHeader(input);
      if (result.status === 'complete') assert.ok(result.length <= input.length);
    } catch (err) {
      if (!(err instanceof ProxyProtocolError)) throw err;
    }
  }
});

test('trusted networks match addresses, subnets and IPv4-mapped IPv6 peers', () => {
  const trusted = createTrustedNetworks(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32']);
  assert.equal(trusted.contains('10.1.2.3'), true);
  assert.equal(trusted.contains('::ffff:10.1.2.3'), true);
  assert.equal(trusted.contains('192.168.1.7'), true);
  assert.equal(trusted.contains('192.168.1.8'), false);
  assert.equal(trusted.contains('2001:db8::5'), true);
  assert.equal(trusted.contains('2001:db9::5'), false);
  assert.equal(trusted.contains('not-an-ip'), false);
  assert.equal(createTrustedNetworks([]).contains('127.0.0.1'), false);
});
