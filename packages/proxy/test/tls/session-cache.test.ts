import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/testing';
import { sessionProtocol, TlsSessionCache } from '../../src/tls/session-cache.js';

/** The start of an encoded SSL_SESSION as OpenSSL writes it: SEQUENCE { INTEGER 1, INTEGER version, … }. */
function session(version: number, filler = 300): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x02, 0x01, 0x01, 0x02, 0x02, version >> 8, version & 0xff]),
    Buffer.alloc(filler, 0x42),
  ]);
  return Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
}

const id = (n: number): Buffer => Buffer.from([n, n, n, n]);

test('sessionProtocol reads the protocol of an encoded session, short and long lengths alike', () => {
  assert.equal(sessionProtocol(session(0x0303)), 0x0303);
  assert.equal(sessionProtocol(session(0x0304)), 0x0304);
  const short = Buffer.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x03]);
  assert.equal(sessionProtocol(short), 0x0303);
  assert.equal(sessionProtocol(Buffer.from('not a session')), undefined);
  assert.equal(sessionProtocol(Buffer.alloc(0)), undefined);
});

test('sessionProtocol never throws on seeded random bytes', () => {
  const random = createSeededRandom(21);
  for (let i = 0; i < 5000; i++) {
    const bytes = random.bytes(random.int(24));
    if (i % 2 === 0) bytes[0] = 0x30;
    const value = sessionProtocol(bytes);
    assert.ok(value === undefined || (Number.isInteger(value) && value >= 0));
  }
});

test('a stored TLS 1.2 session is found by id until its lifetime ends', () => {
  let now = 1_000;
  const cache = new TlsSessionCache({ maxEntries: 10, lifetimeMs: 500, now: () => now });
  const data = session(0x0303);
  cache.store(id(1), data);
  assert.equal(cache.load(id(1)), data);
  assert.equal(cache.load(id(2)), undefined);
  assert.equal(cache.load(Buffer.alloc(0)), undefined);
  now += 499;
  assert.equal(cache.load(id(1)), data);
  now += 1;
  assert.equal(cache.load(id(1)), undefined);
  assert.equal(cache.size, 0);
});

test('TLS 1.3 sessions are not kept: they resume from their ticket', () => {
  const cache = new TlsSessionCache({ maxEntries: 10, lifetimeMs: 60_000 });
  cache.store(id(1), session(0x0304));
  assert.equal(cache.size, 0);
  assert.equal(cache.load(id(1)), undefined);
});

test('the oldest session goes first when the cache is full', () => {
  const cache = new TlsSessionCache({ maxEntries: 3, lifetimeMs: 60_000 });
  for (let n = 1; n <= 4; n++) cache.store(id(n), session(0x0303));
  assert.equal(cache.size, 3);
  assert.equal(cache.load(id(1)), undefined);
  for (let n = 2; n <= 4; n++) assert.ok(cache.load(id(n)));
});

test('the session events answer as Node expects: newSession calls back, resumeSession hands back null when unknown', async () => {
  const cache = new TlsSessionCache({ maxEntries: 3, lifetimeMs: 60_000 });
  const data = session(0x0303);
  await new Promise<void>((resolve) => cache.events.emit('newSession', id(7), data, resolve));
  const found = await new Promise<Buffer | null>((resolve) =>
    cache.events.emit('resumeSession', id(7), (_err: Error | null, d: Buffer | null) => resolve(d)),
  );
  assert.equal(found, data);
  const missing = await new Promise<Buffer | null>((resolve) =>
    cache.events.emit('resumeSession', id(8), (_err: Error | null, d: Buffer | null) => resolve(d)),
  );
  assert.equal(missing, null);
});
