import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOCK_SKEW_MS } from '../../src/identity/identity.js';
import { IdentityError } from '../../src/identity/index.js';
import { type ErrorCode, isGatehouseError, verifyIdentity } from '../../src/index.js';
import { DEFAULT_ROUTE, makeCa, makeLeaf, SERVER_AUTH } from './test-certs.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const span = { notBefore: new Date(NOW.getTime() - HOUR), notAfter: new Date(NOW.getTime() + 8 * HOUR) };

const ca = await makeCa();
const stranger = await makeCa('Test user CA'); // same subject, other key: must not be confused
const trusted = [{ certificate: ca.der }];

async function rejects(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof IdentityError, `expected IdentityError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('a valid user certificate yields the identity it carries', async () => {
  const der = await makeLeaf(ca, { ...span, user: 'alice', roles: ['dev', 'ops'] });
  const id = await verifyIdentity([der], { trusted, now: NOW });
  assert.equal(id.user, 'alice');
  assert.deepEqual(id.roles, ['dev', 'ops']);
  assert.deepEqual(id.route, { dbService: 'orders', dbUser: 'app_ro', dbName: 'shop' });
  assert.deepEqual(id.traits, { dbUsers: DEFAULT_ROUTE.dbUsers, dbNames: DEFAULT_ROUTE.dbNames });
  assert.equal(id.notAfter.getTime(), span.notAfter.getTime());
  assert.equal(id.notBefore.getTime(), span.notBefore.getTime());
  assert.match(id.serial, /^02[0-9a-f]{16}$/);
  assert.match(id.fingerprint, /^[0-9a-f]{64}$/);
});

test('accepts a PEM trusted CA as well as DER', async () => {
  const der = await makeLeaf(ca, span);
  const id = await verifyIdentity([der], { trusted: [{ certificate: ca.cert.toString('pem') }], now: NOW });
  assert.equal(id.user, 'alice');
});

test('an empty chain or garbage is GH_ERR_CERT_MALFORMED', async () => {
  await rejects(verifyIdentity([], { trusted, now: NOW }), 'GH_ERR_CERT_MALFORMED', /no client certificate/);
  await rejects(
    verifyIdentity([Uint8Array.from([0x30, 0x03, 1, 2, 3])], { trusted, now: NOW }),
    'GH_ERR_CERT_MALFORMED',
  );
});

test('a certificate from another CA is GH_ERR_CERT_UNKNOWN_CA, even with the same CA name', async () => {
  const der = await makeLeaf(stranger, span);
  await rejects(
    verifyIdentity([der], { trusted, now: NOW }),
    'GH_ERR_CERT_UNKNOWN_CA',
    /not signed by a CA Gatehouse trusts/,
  );
});

test('expired: the message names the expiry time', async () => {
  const der = await makeLeaf(ca, span);
  const later = new Date(span.notAfter.getTime() + 1000);
  await rejects(
    verifyIdentity([der], { trusted, now: later }),
    'GH_ERR_CERT_EXPIRED',
    /certificate expired at 2026-03-01T20:00:00\.000Z/,
  );
});

test('not yet valid beyond the skew is refused; within the skew it is accepted', async () => {
  const notBefore = new Date(NOW.getTime() + 5 * 60_000);
  const der = await makeLeaf(ca, { notBefore, notAfter: new Date(NOW.getTime() + HOUR) });
  await rejects(
    verifyIdentity([der], { trusted, now: NOW }),
    'GH_ERR_CERT_NOT_YET_VALID',
    /not valid until 2026-03-01T12:05:00\.000Z/,
  );
  const justInside = new Date(notBefore.getTime() - CLOCK_SKEW_MS + 1000);
  assert.equal((await verifyIdentity([der], { trusted, now: justInside })).user, 'alice');
  const justOutside = new Date(notBefore.getTime() - CLOCK_SKEW_MS - 1000);
  await rejects(verifyIdentity([der], { trusted, now: justOutside }), 'GH_ERR_CERT_NOT_YET_VALID');
});

test('a server-only certificate is GH_ERR_CERT_WRONG_USAGE', async () => {
  const der = await makeLeaf(ca, { ...span, usages: [SERVER_AUTH] });
  await rejects(verifyIdentity([der], { trusted, now: NOW }), 'GH_ERR_CERT_WRONG_USAGE', /clientAuth/);
});

test('a missing or garbled identity extension is GH_ERR_CERT_BAD_EXTENSION', async () => {
  const missing = await makeLeaf(ca, { ...span, extension: null });
  await rejects(
    verifyIdentity([missing], { trusted, now: NOW }),
    'GH_ERR_CERT_BAD_EXTENSION',
    /no Gatehouse identity extension/,
  );
  const garbled = await makeLeaf(ca, { ...span, extension: Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x07]) });
  await rejects(verifyIdentity([garbled], { trusted, now: NOW }), 'GH_ERR_CERT_BAD_EXTENSION', /unsupported version 7/);
});

test('a locked user is GH_ERR_IDENTITY_LOCKED with the reason; an expired lock is ignored', async () => {
  const der = await makeLeaf(ca, span);
  const seen: string[] = [];
  const lookupLock = async (user: string) => {
    seen.push(user);
    return { message: 'laptop stolen', expires: '2026-03-01T13:00:00.000Z' };
  };
  await rejects(
    verifyIdentity([der], { trusted, now: NOW, lookupLock }),
    'GH_ERR_IDENTITY_LOCKED',
    /user 'alice' is locked until 2026-03-01T13:00:00\.000Z: laptop stolen/,
  );
  assert.deepEqual(seen, ['alice']);
  const afterLock = new Date('2026-03-01T13:00:01.000Z');
  assert.equal((await verifyIdentity([der], { trusted, now: afterLock, lookupLock })).user, 'alice');
  const noLock = () => undefined;
  assert.equal((await verifyIdentity([der], { trusted, now: NOW, lookupLock: noLock })).user, 'alice');
});

test('a rotated-out CA verifies until trustedUntil, then is GH_ERR_CERT_UNKNOWN_CA naming the time', async () => {
  const next = await makeCa('Test user CA');
  const der = await makeLeaf(ca, span);
  const trustedUntil = new Date(NOW.getTime() + HOUR);
  const set = [{ certificate: next.der }, { certificate: ca.der, trustedUntil }];
  assert.equal((await verifyIdentity([der], { trusted: set, now: NOW })).user, 'alice');
  await rejects(
    verifyIdentity([der], { trusted: set, now: new Date(trustedUntil.getTime() + 1) }),
    'GH_ERR_CERT_UNKNOWN_CA',
    /rotated-out CA no longer trusted since 2026-03-01T13:00:00\.000Z/,
  );
});

test('errors are GatehouseErrors that match on code', async () => {
  const der = await makeLeaf(stranger, span);
  await assert.rejects(verifyIdentity([der], { trusted, now: NOW }), (err) =>
    isGatehouseError(err, 'GH_ERR_CERT_UNKNOWN_CA'),
  );
});
