import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { createSeededRandom } from '@gatehouse/mysql-protocol/testing';
import { SessionTokenError, type SessionTokenSigner, SessionTokenVerifier, signSessionToken } from '../../src/index.js';
import { decodeSessionToken, sessionTokenKeyId } from '../../src/session-token/session-token.js';

const route = { dbService: 'orders', dbUser: 'app', dbName: 'shop' };

function newSigner(): SessionTokenSigner {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { key: privateKey as KeyObject, kid: sessionTokenKeyId(privateKey) };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SessionTokenError, String(err));
    assert.equal(err.code, 'GH_ERR_SESSION_TOKEN');
    return err.reason;
  }
  assert.fail('the token was accepted');
}

test('a token signed by a trusted proxy key verifies once for its session and route', () => {
  const signer = newSigner();
  const verifier = new SessionTokenVerifier();
  verifier.trust(signer.key);
  const token = signSessionToken({ sessionId: 's1', user: 'alice', route }, signer);
  const claims = verifier.verify(token, { sessionId: 's1', route });
  assert.equal(claims.user, 'alice');
  assert.equal(claims.exp - claims.iat, 30);
  assert.equal(
    refusal(() => verifier.verify(token, { sessionId: 's1', route })),
    'replayed',
  );
  const other = signSessionToken({ sessionId: 's2', user: 'alice', route }, signer);
  assert.equal(
    refusal(() => verifier.verify(other, { sessionId: 's3' })),
    'mismatch',
  );
  const moved = signSessionToken({ sessionId: 's4', user: 'alice', route }, signer);
  assert.equal(
    refusal(() => verifier.verify(moved, { sessionId: 's4', route: { ...route, dbUser: 'root' } })),
    'mismatch',
  );
});

test('forged, unknown-key and expired tokens are refused', () => {
  const trusted = newSigner();
  const stranger = newSigner();
  let now = 1_700_000_000_000;
  const verifier = new SessionTokenVerifier({ now: () => now, skewMs: 1000 });
  verifier.trust(trusted.key);
  assert.equal(
    refusal(() =>
      verifier.verify(signSessionToken({ sessionId: 's', user: 'u', route, now }, stranger), { sessionId: 's' }),
    ),
    'unknown_key',
  );
  // A stranger's signature under the trusted key's id: a forgery.
  const honest = signSessionToken({ sessionId: 's', user: 'u', route, now }, trusted);
  const forged = signSessionToken(
    { sessionId: 's', user: 'root', route, now },
    { key: stranger.key, kid: trusted.kid },
  );
  assert.equal(
    refusal(() => verifier.verify(forged, { sessionId: 's' })),
    'bad_signature',
  );
  // Claims edited after signing.
  const [body, sig] = honest.split('.');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
  const edited = `${Buffer.from(JSON.stringify({ ...claims, user: 'root' })).toString('base64url')}.${sig}`;
  assert.equal(
    refusal(() => verifier.verify(edited, { sessionId: 's' })),
    'bad_signature',
  );
  const old = signSessionToken({ sessionId: 'e', user: 'u', route, now, ttlS: 5 }, trusted);
  now += 5000 + 1001;
  assert.equal(
    refusal(() => verifier.verify(old, { sessionId: 'e' })),
    'expired',
  );
});

test('the previous key is accepted during the grace period of a rotation, then refused', () => {
  let now = 1_700_000_000_000;
  const verifier = new SessionTokenVerifier({ now: () => now });
  const before = newSigner();
  const after = newSigner();
  verifier.trust(before.key);
  verifier.trust(after.key);
  verifier.retire(before.kid, 60_000);
  verifier.verify(signSessionToken({ sessionId: 'a', user: 'u', route, now }, before), { sessionId: 'a' });
  now += 61_000;
  assert.equal(
    refusal(() =>
      verifier.verify(signSessionToken({ sessionId: 'b', user: 'u', route, now }, before), { sessionId: 'b' }),
    ),
    'unknown_key',
  );
  verifier.verify(signSessionToken({ sessionId: 'c', user: 'u', route, now }, after), { sessionId: 'c' });
});

test('seeded random tokens only ever raise a SessionTokenError', () => {
  const signer = newSigner();
  const verifier = new SessionTokenVerifier();
  verifier.trust(signer.key);
  const good = signSessionToken({ sessionId: 's', user: 'u', route }, signer);
  const random = createSeededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(good);
    for (let j = random.int(4) + 1; j > 0; j--) bytes[random.int(bytes.length)] = random.int(128);
    const token = i % 3 === 0 ? random.bytes(random.int(80)).toString('latin1') : bytes.toString('latin1');
    try {
      verifier.verify(token, { sessionId: 's' });
    } catch (err) {
      assert.ok(err instanceof SessionTokenError, `${i}: ${String(err)}`);
    }
  }
  assert.throws(() => decodeSessionToken('x'.repeat(5000)), SessionTokenError);
});
