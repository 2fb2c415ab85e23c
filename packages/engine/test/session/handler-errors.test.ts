// The session's error boundary (session.ts, where the relay is started): a listener on one
// session's client stream or database socket that throws, here through the audit sink the relay
// calls, closes that session only. Without it the throw would reach 'uncaughtException' and end
// the engine with every other session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawClient } from './raw-client.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

test('an audit sink that throws for one session closes that session; the others go on', async (t) => {
  const f = await createFixture(t, {
    wrapAudit: (audit) => ({
      ...audit,
      onQuery(session, query, outcome, durationMs) {
        if (session.user === 'alice') throw new Error('injected audit failure on a query');
        audit.onQuery(session, query, outcome, durationMs);
      },
      onSessionEnd(session, err) {
        if (session.user === 'alice') throw new Error('injected audit failure at the session end');
        audit.onSessionEnd(session, err);
      },
    }),
  });
  const aliceCert = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  const bobCert = await f.cluster.issueUser({ user: 'bob', roles: ['dev'], dbService: 'orders' });
  const bob = new RawClient((await f.open({ cert: bobCert })).stream, CLIENT_CAPS);
  const alice = new RawClient((await f.open({ cert: aliceCert })).stream, CLIENT_CAPS);
  // The fixture paused each stream after the login packet.
  bob.stream.resume();
  alice.stream.resume();
  assert.equal((await bob.query('SELECT 1')).outcomes.at(-1)?.kind, 'resultset');

  void alice.query('SELECT 1');
  await alice.closed;
  await f.sessions[1]!.done;
  // The relay ends the session on the query's failure itself; the end's failure, thrown from a
  // socket listener, is what only the boundary catches.
  assert.equal(f.handlerErrors.length, 1);
  assert.match((f.handlerErrors[0] as Error).message, /injected audit failure at the session end/);

  // Bob's session, on the same engine and the same audit, still answers.
  const after = await bob.query('SELECT 2');
  const last = after.outcomes.at(-1);
  assert.equal(last?.kind, 'resultset');
  assert.equal(f.handlerErrors.length, 1);
});
