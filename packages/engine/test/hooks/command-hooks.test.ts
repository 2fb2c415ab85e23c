// Command hooks at the engine, against the harness MariaDB: pipelined commands around a hook
// that answers late keep their order (replies and audit events); a denial in the middle of a
// pipeline; onResult hears how each command that ran ended; and a module without onCommand
// costs no hook call per command. The capabilities themselves are driven through the proxy with
// the mariadb CLI in test/src/command-hooks.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import pino from 'pino';
import { createHookRunner } from '../../src/hooks/hook-runner.js';
import { scalar } from '../backends/replication-fixture.js';
import { RawClient } from '../session/raw-client.js';
import { CLIENT_CAPS, createFixture } from '../session/session-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cmd-hooks-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const results = join(dir, 'results.jsonl');

const slow = join(dir, 'slow.mjs');
writeFileSync(
  slow,
  `import { appendFileSync } from 'node:fs';
export async function onCommand(ctx, command) {
  // Answers later than the commands behind it arrive: they must wait.
  if (command.text.includes('slow')) await new Promise((r) => setTimeout(r, 100));
  if (command.text.includes('deny')) return { deny: 'no ' + command.text };
  return undefined;
}
export function onResult(ctx, summary) {
  appendFileSync(${JSON.stringify(results)}, JSON.stringify({ user: ctx.user, ...summary }) + '\\n');
}
`,
);
const connectOnly = join(dir, 'connect-only.mjs');
writeFileSync(connectOnly, 'export function onConnect() { return undefined; }\n');

function resultLines(): Array<{ user: string; kind: string; text: string; outcome: string; rows: number }> {
  try {
    return readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

test('pipelined commands wait for the hook of the one ahead: replies and events keep their order', async (t) => {
  const hooks = await createHookRunner({ files: [slow], timeoutMs: 5000, log: pino({ level: 'silent' }) });
  t.after(() => hooks.close());
  const f = await createFixture(t, { hooks });
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  const s = await f.open({ cert: alice });
  assert.equal(s.login[0], 0x00, 'login OK');
  const c = new RawClient(s.stream, CLIENT_CAPS);
  s.stream.resume();
  const queries = ["SELECT 'slow-1'", 'SELECT 2', "SELECT 'deny-3'", "SELECT 'slow-4'", 'SELECT 5'];
  const replies = await c.pipeline(queries);
  assert.equal(scalar(replies[0]!.packets), 'slow-1');
  assert.equal(scalar(replies[1]!.packets), '2');
  assert.equal(replies[2]!.outcomes[0]?.kind, 'err');
  assert.equal(scalar(replies[3]!.packets), 'slow-4');
  assert.equal(scalar(replies[4]!.packets), '5');
  const events = f.cluster.events.filter((e) => e.event === 'db.session.query') as unknown as Array<{
    query: string;
    outcome: { kind: string; message?: string };
  }>;
  // The commands that ran are recorded in the order they ran; a denial when it is decided
  // (as for the role's denials), so it may come before the reply ahead of it ends.
  assert.deepEqual(
    events.filter((e) => e.outcome.kind !== 'error').map((e) => e.query),
    queries.filter((q) => !q.includes('deny')),
  );
  const denied = events.filter((e) => e.outcome.kind === 'error');
  assert.deepEqual(
    denied.map((e) => [e.query, e.outcome.message]),
    [["SELECT 'deny-3'", "no SELECT 'deny-3'"]],
  );

  // onResult heard every command that ran, in order, and not the denied one.
  const heard = await waitFor('onResult for the four commands that ran', () => {
    const lines = resultLines();
    return lines.length >= 4 ? lines : undefined;
  });
  assert.deepEqual(
    heard.map((l) => [l.user, l.kind, l.text, l.outcome, l.rows]),
    [
      ['alice', 'query', "SELECT 'slow-1'", 'rows', 1],
      ['alice', 'query', 'SELECT 2', 'rows', 1],
      ['alice', 'query', "SELECT 'slow-4'", 'rows', 1],
      ['alice', 'query', 'SELECT 5', 'rows', 1],
    ],
  );
});

test('a module without onCommand costs no hook call per command', async (t) => {
  const hooks = await createHookRunner({ files: [connectOnly], timeoutMs: 5000, log: pino({ level: 'silent' }) });
  t.after(() => hooks.close());
  assert.equal(hooks.has('onConnect'), true);
  assert.equal(hooks.has('onCommand'), false);
  const f = await createFixture(t, { hooks });
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  const s = await f.open({ cert: alice });
  const c = new RawClient(s.stream, CLIENT_CAPS);
  s.stream.resume();
  const before = hooks.counters.calls;
  for (let i = 0; i < 5; i++) assert.equal(scalar((await c.query(`SELECT ${i}`)).packets), String(i));
  assert.equal(hooks.counters.calls, before);
  // A reload that adds onCommand reaches the live session.
  await hooks.reload([connectOnly, slow]);
  assert.equal(hooks.has('onCommand'), true);
  assert.equal((await c.query("SELECT 'deny-me'")).outcomes[0]?.kind, 'err');
  assert.equal(hooks.counters.calls, before + 1);
});
