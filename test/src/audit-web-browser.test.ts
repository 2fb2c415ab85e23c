// The audit web app in real Chromium: sign in with a `gatectl web login` link, find a session by
// user, open it, replay it, end a live session, watch verification fail after an audit line is
// edited, and be refused without the role. A screenshot of each page goes under a temp dir.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './support/browser.js';
import { connectMysql2, mariadbCli } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';
import { type AuditWebClient, addAuditUsers, hostCaPem, signIn, webLoginLink } from './support/web-client.js';

const READER_WITHOUT_AUDIT = `kind: role
name: e2e-reader
options: { max_session_ttl: 1h }
`;

describe('audit web app in Chromium', () => {
  let cluster: Cluster;
  let alice: UserCerts;
  let api: AuditWebClient;
  let browser: TestBrowser;
  let page: Page;
  let shots: string;
  const dialogs: string[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };

  before(async () => {
    shots = mkdtempSync(join(tmpdir(), 'gatehouse-web-screens-'));
    cluster = await startCluster({ shape: 'single' });
    await addAuditUsers(cluster, [
      ['alice', 'e2e-dev'],
      ['bob', 'e2e-dev'],
      ['audra', 'e2e-auditor'],
      ['rex', 'e2e-reader'],
    ]);
    alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
    const bob = await cluster.signUser('bob', { dbUser: 'app_rw', dbName: 'app' });
    const statements = [
      'CREATE TABLE IF NOT EXISTS t_ui (id INT PRIMARY KEY, v VARCHAR(40))',
      'DELETE FROM t_ui',
      "INSERT INTO t_ui VALUES (1, '<script>alert(1)</script>'), (2, '<img src=x onerror=alert(2)>')",
      'SELECT * FROM no_such_table_ui',
      'SELECT id, v FROM t_ui ORDER BY id',
    ];
    const cli = await mariadbCli(cluster, alice, ['--force'], { stdin: statements.join(';\n') });
    assert.match(cli.stderr, /1146/);
    assert.equal((await mariadbCli(cluster, bob, ['-e', 'SELECT 1'])).code, 0);
    api = await signIn(cluster, await hostCaPem(cluster), 'audra');
    await waitFor('the sessions of alice and bob to end in the audit log', async () => {
      const r = await api.get('/v1/audit/sessions?since=1h');
      const ended = (r.json.items as Array<{ ended: boolean; success: boolean }>).filter((s) => s.ended && s.success);
      return ended.length >= 2 ? true : undefined;
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  after(async () => {
    await browser?.close();
    await cluster?.stop();
    if (shots) console.log(`# screenshots in ${shots}`);
  });

  test('signs in with the one-time link and lands on the sessions list', async () => {
    const link = await webLoginLink(cluster, 'audra');
    await page.goto(link);
    await page.locator('#whoami', { hasText: 'audra' }).waitFor();
    await page.locator('#sessions').waitFor();
    assert.doesNotMatch(page.url(), /login/, 'the token is gone from the address bar');
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === '__Host-gatehouse-web');
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read the cookie');
    await shot('sessions');
  });

  test('finds a session by user', async () => {
    await page.fill('#session-filters input[name=user]', 'alice');
    await page.click('#session-filters button[type=submit]');
    await page.waitForURL(/user=alice/);
    await page.locator('#sessions[data-search="?user=alice"] tbody tr').first().waitFor();
    const users = await page.locator('#sessions tbody td.user').allTextContents();
    assert.deepEqual(users, ['alice']);
    await shot('sessions-alice');
  });

  test('opens the session and shows its queries in order with outcomes, markup as text', async () => {
    await page.locator('#sessions tbody tr a').first().click();
    await page.locator('#timeline').waitFor();
    const rows = page.locator('#timeline tbody tr[data-event="db.session.query"]');
    const texts = await rows.locator('td.query').first().allTextContents();
    const queries = (
      await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td.query')?.textContent ?? ''))
    ).filter((q) => /t_ui|no_such/.test(q));
    assert.ok(texts.length > 0);
    assert.deepEqual(
      queries.map((q) => q.split(' ').slice(0, 2).join(' ')),
      ['CREATE TABLE', 'DELETE FROM', 'INSERT INTO', 'SELECT *', 'SELECT id,'],
    );
    const outcomes = await rows.evaluateAll((trs) =>
      trs
        .filter((tr) => /t_ui|no_such/.test(tr.querySelector('td.query')?.textContent ?? ''))
        .map((tr) => tr.querySelector('td.outcome')?.textContent ?? ''),
    );
    assert.match(outcomes[2]!, /Query OK, 2 rows affected/);
    assert.match(outcomes[3]!, /ERROR 1146 \(42S02\)/);
    assert.match(outcomes[4]!, /2 rows in set/);
    // The stored markup shows as its characters: no element was made from it, nothing ran.
    assert.ok(queries[2]!.includes("'<script>alert(1)</script>'"));
    assert.equal(await page.locator('#main script, #main img').count(), 0);
    assert.deepEqual(dialogs, []);
    await shot('session');
  });

  test('replays the session as the mariadb client showed it', async () => {
    await page.selectOption('#replay-speed', '20');
    await page.click('#replay-play');
    await page.locator('#replay[data-done="true"]').waitFor();
    const text = (await page.textContent('#replay')) ?? '';
    const lines = [
      'MariaDB [app]> DELETE FROM t_ui;',
      'Query OK, 2 rows affected',
      'MariaDB [app]> SELECT * FROM no_such_table_ui;',
      "ERROR 1146 (42S02): Table 'app.no_such_table_ui' doesn't exist",
      'MariaDB [app]> SELECT id, v FROM t_ui ORDER BY id;',
      '2 rows in set',
      'Bye',
    ];
    let at = -1;
    for (const line of lines) {
      const next = text.indexOf(line, at + 1);
      assert.ok(next > at, `'${line}' after what came before in:\n${text}`);
      at = next;
    }
    assert.deepEqual(dialogs, []);
    await shot('replay');
  });

  test('ends a live session from the Live page', async () => {
    const conn = await connectMysql2(cluster, alice);
    const closed = new Promise<Error>((resolve) => conn.on('error', resolve));
    await conn.query('SELECT 1');
    await page.goto(page.url().replace(/#.*$/, '#/live'));
    const row = page.locator('#live tbody tr', { hasText: 'alice' });
    await row.waitFor();
    await shot('live');
    await row.locator('input.reason').fill('e2e: browser terminate');
    await row.locator('button.terminate').click();
    await page.locator('#live-status', { hasText: 'terminated' }).waitFor();
    assert.match((await closed).message, /terminated by audra: e2e: browser terminate/);
    conn.destroy();
  });

  test('verification passes, then fails at an edited audit line and shows the event after it', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/verify'));
    await page.locator('#verify-ok').waitFor();
    const dir = join(cluster.dataDir, 'audit');
    const file = join(
      dir,
      readdirSync(dir)
        .filter((n) => n.endsWith('.jsonl'))
        .sort()[0]!,
    );
    const lines = readFileSync(file, 'utf8').split('\n');
    const target = lines.findIndex((l) => l.includes('no_such_table_ui'));
    lines[target] = lines[target]!.replace('no_such_table_ui', 'quiet_table_ui');
    writeFileSync(file, lines.join('\n'));
    await page.click('#verify-run');
    const broken = page.locator('#verify-broken');
    await broken.waitFor();
    assert.match((await broken.textContent()) ?? '', new RegExp(`line ${target + 1}: .*edited`));
    assert.match((await page.textContent('#verify-line')) ?? '', /quiet_table_ui/);
    assert.equal(await page.textContent('#verify-following'), lines[target + 1]);
    await shot('verify-broken');
  });

  test('is refused without the role', async () => {
    const link = await webLoginLink(cluster, 'rex');
    // The role loses audit.read after the link was made: the link no longer signs in.
    const file = join(cluster.dataDir, '..', 'reader.yaml');
    writeFileSync(file, READER_WITHOUT_AUDIT);
    const replaced = await cluster.gatectl(['roles', 'create', '-f', file, '--force']);
    assert.equal(replaced.code, 0, replaced.stderr);
    await browser.context.clearCookies();
    await page.goto(link);
    const alert = page.locator('[role=alert]');
    await alert.waitFor();
    assert.match((await page.textContent('h1')) ?? '', /Sign-in refused/);
    assert.match((await alert.textContent()) ?? '', /user 'rex' \(e2e-reader\) do not grant audit\.read/);
    await page.goto(page.url().replace(/#.*$/, '#/sessions'));
    await page.reload();
    await page.locator('h1', { hasText: 'Not signed in' }).waitFor();
    await shot('refused');
  });
});
