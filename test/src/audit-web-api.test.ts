// The audit review API (/v1/audit) end to end: real sessions made through the gateway by the
// mariadb CLI and mysql2, then listed, filtered, paged, exported, verified and terminated
// through the proxy's HTTPS port with a sign-in from `gatectl web login`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { connectMysql2, mariadbCli } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';
import {
  type AuditWebClient,
  addAuditUsers,
  hostCaPem,
  signIn,
  tokenOf,
  webLoginLink,
  webRequest,
} from './support/web-client.js';

interface Summary {
  sid: string;
  user: string;
  program: string;
  queries: number;
  errors: number;
  ended: boolean;
  success: boolean;
  error?: string;
}
interface Event {
  event: string;
  sid: string;
  query?: string;
  outcome?: { kind: string; errno?: number; rows?: number; affected_rows?: number };
  parameters?: unknown;
  [k: string]: unknown;
}

describe('audit review API', () => {
  let cluster: Cluster;
  let ca: string;
  let alice: UserCerts;
  let auditor: AuditWebClient;
  let reader: AuditWebClient;
  let cliSid: string;
  let mysql2Sid: string;

  async function endedSessions(min: number): Promise<Summary[]> {
    return waitFor(`${min} ended session(s) of alice in the audit log`, async () => {
      const r = await auditor.get('/v1/audit/sessions?user=alice');
      const items = (r.json as { items: Summary[] }).items.filter((s) => s.ended && s.success);
      return items.length >= min ? items : undefined;
    });
  }

  before(async () => {
    cluster = await startCluster({ shape: 'single' });
    ca = await hostCaPem(cluster);
    await addAuditUsers(cluster, [
      ['alice', 'e2e-dev'],
      ['audra', 'e2e-auditor'],
      ['rex', 'e2e-reader'],
    ]);
    alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
    auditor = await signIn(cluster, ca, 'audra');
    reader = await signIn(cluster, ca, 'rex');

    // One session with the mariadb CLI: a table, a failing statement (--force goes on), and a
    // query whose text holds markup.
    const cli = await mariadbCli(cluster, alice, ['--force'], {
      stdin: [
        'CREATE TABLE IF NOT EXISTS t_web (id INT PRIMARY KEY, v VARCHAR(40))',
        'DELETE FROM t_web',
        "INSERT INTO t_web VALUES (1, '<script>alert(1)</script>'), (2, 'b')",
        'SELECT * FROM no_such_table_web',
        'SELECT id, v FROM t_web ORDER BY id',
      ].join(';\n'),
    });
    assert.match(cli.stderr, /1146/);
    // One with mysql2: a prepared statement with parameters.
    const conn = await connectMysql2(cluster, alice);
    await conn.execute('SELECT id, v FROM t_web WHERE id = ? AND v <> ?', [2, 'zz']);
    await conn.end();
    const sessions = await endedSessions(2);
    cliSid = sessions.find((s) => s.errors === 1)?.sid ?? '';
    mysql2Sid = sessions.find((s) => s.sid !== cliSid)?.sid ?? '';
    assert.ok(cliSid && mysql2Sid, JSON.stringify(sessions));
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the sessions list shows each session with its client, query count and outcome', async () => {
    const r = await auditor.get('/v1/audit/sessions?user=alice');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    const cli = (r.json.items as Summary[]).find((s) => s.sid === cliSid)!;
    assert.equal(cli.user, 'alice');
    assert.match(cli.program, /mysql|mariadb/);
    assert.equal(cli.queries >= 5, true, JSON.stringify(cli));
    assert.equal(cli.errors, 1);
    const m2 = (r.json.items as Summary[]).find((s) => s.sid === mysql2Sid)!;
    assert.equal(m2.errors, 0);
    // Newest first: the mysql2 session started after the CLI's.
    const ids = (r.json.items as Summary[]).map((s) => s.sid);
    assert.ok(ids.indexOf(mysql2Sid) < ids.indexOf(cliSid));
  });

  test("one session's events are in order, with outcomes, errnos and decoded parameters", async () => {
    const r = await auditor.get(`/v1/audit/sessions/${cliSid}/events`);
    assert.equal(r.status, 200, r.text);
    const events = r.json.events as Event[];
    assert.equal(events[0]!.event, 'db.session.start');
    assert.equal(events.at(-1)!.event, 'db.session.end');
    const queries = events.filter((e) => e.event === 'db.session.query' && /t_web|no_such/.test(e.query ?? ''));
    assert.deepEqual(
      queries.map((q) => q.query!.split(' ').slice(0, 2).join(' ')),
      ['CREATE TABLE', 'DELETE FROM', 'INSERT INTO', 'SELECT *', 'SELECT id,'],
    );
    assert.deepEqual(queries[2]!.outcome, { kind: 'ok', affected_rows: 2, last_insert_id: 0, warnings: 0 });
    assert.equal(queries[3]!.outcome!.kind, 'error');
    assert.equal(queries[3]!.outcome!.errno, 1146);
    assert.equal(queries[4]!.outcome!.kind, 'rows');
    assert.equal(queries[4]!.outcome!.rows, 2);
    // The markup is data: the API returns it as the same string, escaped only as JSON.
    assert.match(queries[2]!.query!, /<script>alert\(1\)<\/script>/);

    const m2 = (await auditor.get(`/v1/audit/sessions/${mysql2Sid}/events`)).json.events as Event[];
    const execute = m2.find((e) => e.event === 'db.session.mysql.statements.execute')!;
    assert.deepEqual(execute.parameters, [2, 'zz']);
  });

  test('filters: text, event type, database and time select the right sessions', async () => {
    const sids = async (q: string) =>
      ((await auditor.get(`/v1/audit/sessions?${q}`)).json.items as Summary[]).map((s) => s.sid);
    assert.deepEqual(await sids('query=NO_SUCH_TABLE_WEB'), [cliSid]);
    assert.deepEqual(await sids('type=db.session.mysql.statements.execute&user=alice'), [mysql2Sid]);
    assert.deepEqual((await sids('db=mariadb&user=alice')).sort(), [cliSid, mysql2Sid].sort());
    assert.deepEqual(await sids('db=other-db'), []);
    assert.deepEqual(await sids('user=audra'), []);
    assert.deepEqual(await sids(`since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`), []);
    assert.ok((await sids('since=1h&user=alice')).includes(cliSid));
  });

  test('keyset pages do not overlap and end', async () => {
    const first = await auditor.get('/v1/audit/sessions?user=alice&limit=1');
    assert.equal(first.json.items.length, 1);
    assert.match(first.json.next, /^\d+$/);
    const second = await auditor.get(`/v1/audit/sessions?user=alice&limit=1&cursor=${first.json.next}`);
    assert.equal(second.json.items.length, 1);
    assert.notEqual(second.json.items[0].sid, first.json.items[0].sid);
    const events = await auditor.get(`/v1/audit/events?session=${cliSid}&order=asc&limit=3`);
    const more = await auditor.get(`/v1/audit/events?session=${cliSid}&order=asc&limit=3&cursor=${events.json.next}`);
    const all = (await auditor.get(`/v1/audit/sessions/${cliSid}/events`)).json.events as Event[];
    assert.deepEqual([...events.json.items, ...more.json.items], all.slice(0, 6));
  });

  test('a session and a search export as JSONL and CSV', async () => {
    const all = (await auditor.get(`/v1/audit/sessions/${cliSid}/events`)).json.events as Event[];
    const jsonl = await auditor.get(`/v1/audit/sessions/${cliSid}/events?format=jsonl`);
    assert.match(String(jsonl.headers['content-type']), /application\/x-ndjson/);
    assert.match(String(jsonl.headers['content-disposition']), /attachment; filename="gatehouse-session-.*\.jsonl"/);
    assert.deepEqual(
      jsonl.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
      all,
    );
    const csv = await auditor.get(`/v1/audit/sessions/${cliSid}/events?format=csv`);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'time,event,code,sid,user,db_service,db_user,db_name,client_addr,engine_id,query,outcome,duration_ms,details',
    );
    assert.equal(lines.length, all.length + 1);
    assert.ok(lines.some((l) => l.includes('no_such_table_web') && l.includes('1146')));
    const search = await auditor.get('/v1/audit/events?user=alice&type=db.session.start&format=csv');
    assert.equal(search.text.trimEnd().split('\r\n').length, 1 + 2);
  });

  test('a malformed filter or an over-long query string is a 400 that says why', async () => {
    const bad = async (q: string, reason: RegExp) => {
      const r = await auditor.get(`/v1/audit/sessions?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.json.error.code, 'GH_ERR_WEB_BAD_REQUEST');
      assert.match(r.json.error.message, reason);
    };
    await bad('since=yesterday', /since: must be an ISO 8601 time or a duration/);
    await bad('limit=0', /limit/);
    await bad('limit=9999', /limit: at most 500/);
    await bad('type=DROP%20TABLE', /type: must be an event type/);
    await bad('cursor=abc', /cursor/);
    await bad('colour=red', /unknown parameter\(s\): colour/);
    await bad(`query=${'x'.repeat(1100)}`, /query: at most 1024 characters/);
    await bad(`user=${'a'.repeat(5000)}`, /longer than 4096/);
    const events = await auditor.get('/v1/audit/events?order=sideways');
    assert.equal(events.status, 400);
    assert.match(events.json.error.message, /order/);
  });

  test('without a sign-in, without the role, or without the CSRF header, the API refuses', async () => {
    const anonymous = await webRequest(cluster, ca, 'GET', '/v1/audit/sessions');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'GH_ERR_WEB_UNAUTHENTICATED');
    // gatectl refuses a link for someone the roles don't let look.
    const refused = await cluster.gatectl(['web', 'login', '--user', 'alice']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /do not grant audit\.read/);
    // A link works once.
    const token = tokenOf(await webLoginLink(cluster, 'rex'));
    assert.equal((await webRequest(cluster, ca, 'POST', '/v1/audit/login', { body: { token } })).status, 200);
    const again = await webRequest(cluster, ca, 'POST', '/v1/audit/login', { body: { token } });
    assert.equal(again.status, 401);
    assert.match(again.json.error.message, /unknown or was already used/);
    // The cookie is what the issue asks for.
    const fresh = tokenOf(await webLoginLink(cluster, 'rex'));
    const login = await webRequest(cluster, ca, 'POST', '/v1/audit/login', { body: { token: fresh } });
    assert.match(
      String(login.headers['set-cookie']),
      /^__Host-gatehouse-web=[\w-]+; Path=\/; Max-Age=\d+; Secure; HttpOnly; SameSite=Strict$/,
    );
    // A reader may look but not terminate; a POST without the CSRF header or from another origin fails.
    const noTerminate = await reader.post(`/v1/audit/live/${cliSid}/terminate`, { reason: 'x' });
    assert.equal(noTerminate.status, 403);
    assert.match(noTerminate.json.error.message, /do not grant audit\.terminate/);
    const noCsrf = await auditor.post('/v1/audit/logout', {}, { csrf: null });
    assert.equal(noCsrf.status, 403);
    assert.match(noCsrf.json.error.message, /csrf/i);
    const crossSite = await auditor.post('/v1/audit/logout', {}, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.equal((await auditor.get('/v1/audit/me')).status, 200, 'still signed in');
  });

  test('an auditor terminates a live session: the client reads an ERR naming them and why, and it is audited', async () => {
    const conn = await connectMysql2(cluster, alice);
    const closed = new Promise<Error>((resolve) => conn.on('error', resolve));
    await conn.query('SELECT 1');
    const live = await waitFor('the session on the Live list', async () => {
      const items = (await auditor.get('/v1/audit/live')).json.items as Array<{ sid: string; user: string }>;
      return items.find((s) => s.user === 'alice');
    });
    const r = await auditor.post(`/v1/audit/live/${live.sid}/terminate`, { reason: 'investigating incident 42' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.via, 'engine');
    // mysql2 reports the unsolicited ERR as an 'error' event with the server's message.
    const err = await closed;
    assert.match(err.message, /terminated by audra: investigating incident 42/);
    conn.destroy();
    const events = await waitFor('the terminate and end events', async () => {
      const all = (await auditor.get(`/v1/audit/sessions/${live.sid}/events`)).json.events as Event[];
      return all.some((e) => e.event === 'db.session.end') ? all : undefined;
    });
    const terminate = events.find((e) => e.event === 'db.session.terminate')!;
    assert.equal(terminate.terminated_by, 'audra');
    assert.equal(terminate.reason, 'investigating incident 42');
    assert.equal(terminate.user, 'alice');
    const end = events.find((e) => e.event === 'db.session.end')!;
    const endError = end.error as { message: string; errno?: number };
    assert.match(endError.message, /terminated by audra/);
    assert.equal(endError.errno, 1927, 'ER_CONNECTION_KILLED, as for a lock');
    const gone = await auditor.post(`/v1/audit/live/${live.sid}/terminate`, { reason: 'again' });
    assert.equal(gone.status, 404);
  });

  test('gatectl audit search and verify work through the proxy with a certificate from auth sign', async () => {
    const audra = await cluster.signUser('audra', { dbUser: 'app_rw' });
    const proxy = `localhost:${cluster.webPort}`;
    const through = await cluster.gatectl([
      'audit',
      'search',
      '--proxy',
      proxy,
      '--identity',
      audra.certFile,
      '--session',
      cliSid,
      '--format',
      'json',
    ]);
    assert.equal(through.code, 0, through.stderr);
    const direct = await cluster.gatectl(['audit', 'search', '--session', cliSid, '--format', 'json']);
    assert.deepEqual(JSON.parse(through.stdout), JSON.parse(direct.stdout));
    assert.ok((JSON.parse(through.stdout) as unknown[]).length >= 7);
    const verified = await cluster.gatectl(['audit', 'verify', '--proxy', proxy, '--identity', audra.certFile]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /audit log intact/);
    // Alice's certificate proves who she is, but her roles do not let her look.
    const refused = await cluster.gatectl(['audit', 'search', '--proxy', proxy, '--identity', alice.certFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /answered 403: the roles of user 'alice' \(e2e-dev\) do not grant audit\.read/);
    const half = await cluster.gatectl(['audit', 'search', '--proxy', proxy]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--proxy and --identity go together/);
  });

  test('verify passes, then points at an edited line and the event after it', async () => {
    const ok = await auditor.get('/v1/audit/verify');
    assert.equal(ok.json.ok, true, ok.text);
    const dir = join(cluster.dataDir, 'audit');
    const file = join(
      dir,
      readdirSync(dir)
        .filter((n) => n.endsWith('.jsonl'))
        .sort()[0]!,
    );
    const lines = readFileSync(file, 'utf8').split('\n');
    const target = lines.findIndex((l) => l.includes('no_such_table_web'));
    lines[target] = lines[target]!.replace('no_such_table_web', 'harmless_table_web');
    writeFileSync(file, lines.join('\n'));
    const broken = await auditor.get('/v1/audit/verify');
    assert.equal(broken.json.ok, false);
    assert.equal(broken.json.line, target + 1);
    assert.match(broken.json.reason, /edited/);
    assert.match(broken.json.broken, /harmless_table_web/);
    assert.equal(broken.json.following, lines[target + 1]);
  });
});
