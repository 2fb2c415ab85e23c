// Write-ahead of the answer (issue 22): a reply, and the ERR of a denied command, reach the
// client only once the command's audit event is written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '@gatehouse/common';
import { serializeSchemaCommand } from '@gatehouse/mysql-protocol';
import { makeUser } from './cluster-fixture.js';
import { RawClient, type Reply } from './raw-client.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('replies wait for the audit write of their command, in order, and go once it is done', async (t) => {
  const f = await createFixture(t);
  f.cluster.setUsers([makeUser('alice', ['dev'])]);
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  const s = await f.open({ cert: alice });
  const c = new RawClient(s.stream, CLIENT_CAPS);
  s.stream.resume();
  const sid = s.stream.header.sessionId;
  const queryEvents = () => f.cluster.events.filter((e: AuditEvent) => e.sid === sid && e.event === 'db.session.query');
  let bytes = 0;
  s.stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });

  await t.test('a query result', async () => {
    f.cluster.holdAuditWrites();
    let arrived = false;
    const pending = c.query('SELECT 42').then((r: Reply) => {
      arrived = true;
      return r;
    });
    await until('the event and the held reply', () => queryEvents().length === 1 && f.cluster.repliesWaiting === 1);
    assert.equal(bytes, 0, 'no byte of the reply before the write');
    assert.equal(arrived, false);
    f.cluster.releaseAuditWrites();
    assert.equal((await pending).outcomes.at(-1)?.kind, 'resultset');
  });

  await t.test('the ERR of a denied command', async () => {
    f.cluster.holdAuditWrites();
    const before = bytes;
    let arrived = false;
    const pending = c.send(serializeSchemaCommand('init_db', `${f.schema}_secret`)).then((r: Reply) => {
      arrived = true;
      return r;
    });
    await until('the denial to be held', () => f.cluster.repliesWaiting === 1);
    assert.equal(bytes, before);
    assert.equal(arrived, false);
    f.cluster.releaseAuditWrites();
    assert.equal((await pending).outcomes[0]?.kind, 'err');
  });

  await t.test('two commands one after the other: each reply waits for its own write', async () => {
    f.cluster.holdAuditWrites();
    const before = bytes;
    const first = c.query('SELECT 1');
    await until('the first reply to be held', () => f.cluster.repliesWaiting === 1);
    assert.equal(bytes, before);
    f.cluster.releaseAuditWrites();
    await first;
    const sent = queryEvents().length;
    f.cluster.holdAuditWrites();
    const second = c.query('SELECT 2');
    await until(
      'the second reply to be held',
      () => f.cluster.repliesWaiting === 1 && queryEvents().length === sent + 1,
    );
    f.cluster.releaseAuditWrites();
    assert.equal((await second).outcomes.at(-1)?.kind, 'resultset');
  });
});
