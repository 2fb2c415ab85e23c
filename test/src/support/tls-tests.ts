// TLS as real clients use it, in each deployment shape: a mysql2 pool that offers the session of
// its first connection to the next ones (issue 21's report), a resumed session re-checked like a
// new one (lock, expiry), and the engine reusing its TLS sessions to the database per db user.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { mariadbCli } from './clients.js';
import type { Cluster, ClusterShape, UserCerts } from './cluster.js';
import { parseMetrics } from './cluster.js';

interface TlsTestContext {
  readonly shape: ClusterShape;
  readonly cluster: () => Cluster;
  readonly alice: () => UserCerts;
  readonly addUser: (name: string, dbUser?: string) => Promise<UserCerts>;
}

const RESUMED = 'gatehouse_proxy_tls_handshakes_total';

/** The proxy's client TLS handshakes so far (its diagnostics listener): resumed and full, over every protocol. */
async function proxyHandshakes(cluster: Cluster): Promise<{ resumed: number; full: number }> {
  const res = await fetch(`http://127.0.0.1:${cluster.proxyDiagPort}/metrics`);
  assert.equal(res.status, 200);
  const values = parseMetrics(await res.text());
  return { resumed: values[`${RESUMED}{resumed="true"}`] ?? 0, full: values[`${RESUMED}{resumed="false"}`] ?? 0 };
}

/** Database-leg TLS handshakes of every engine, resumed and full. */
async function engineHandshakes(cluster: Cluster): Promise<{ resumed: number; full: number }> {
  let resumed = 0;
  let full = 0;
  for (const sample of await cluster.engineMetrics()) {
    resumed += sample.values['gatehouse_engine_upstream_tls_handshakes_total{resumed="true"}'] ?? 0;
    full += sample.values['gatehouse_engine_upstream_tls_handshakes_total{resumed="false"}'] ?? 0;
  }
  return { resumed, full };
}

/** mysql2 keeps TLS sessions per `ssl` object: connections given the same one resume. */
function sslFor(certs: UserCerts) {
  return { ca: certs.cas, cert: certs.cert, key: certs.key };
}

function connect(cluster: Cluster, ssl: ReturnType<typeof sslFor>): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port: cluster.mysqlPort, ssl });
}

export function defineTlsTests(ctx: TlsTestContext): void {
  test('regression (issue 21): a mysql2 pool that grows after its first connection loses no query', async (t) => {
    const cluster = ctx.cluster();
    const alice = ctx.alice();
    const before = await proxyHandshakes(cluster);
    const pool = mysql.createPool({
      host: '127.0.0.1',
      port: cluster.mysqlPort,
      ssl: sslFor(alice),
      connectionLimit: 8,
    });
    t.after(() => pool.end());
    const [first] = await pool.query('SELECT 1 AS one');
    assert.deepEqual(first, [{ one: 1 }]);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => pool.query('SELECT ? AS n, SLEEP(0.05) AS s', [i])),
    );
    const failures = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => String((o as PromiseRejectedResult).reason));
    assert.deepEqual(failures, []);
    assert.deepEqual(
      outcomes.map((o) => (o as PromiseFulfilledResult<[Array<{ n: number }>, unknown]>).value[0][0]!.n),
      Array.from({ length: 16 }, (_, i) => i),
    );
    // The pool grew to 8 connections, and the 7 after the first offered its session.
    const after = await proxyHandshakes(cluster);
    assert.equal(after.full - before.full + (after.resumed - before.resumed), 8);
    assert.ok(after.resumed - before.resumed >= 7, `resumed ${after.resumed - before.resumed} of 8`);
  });

  test('the engine reuses its TLS session to the database per db user, never across db users', async () => {
    const cluster = ctx.cluster();
    // A db user no session has used yet: its first session cannot resume one of app_rw's.
    const carol = await ctx.addUser('carol', 'root_like');
    const before = await engineHandshakes(cluster);
    const first = await mariadbCli(cluster, carol, ['-e', 'SELECT current_user()']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), 'root_like@%');
    const afterFirst = await engineHandshakes(cluster);
    assert.deepEqual(afterFirst, { resumed: before.resumed, full: before.full + 1 });
    const more = 4;
    for (let i = 0; i < more; i++) {
      const r = await mariadbCli(cluster, carol, ['-e', 'SELECT 1']);
      assert.equal(r.code, 0, r.stderr);
    }
    const after = await engineHandshakes(cluster);
    assert.equal(after.resumed + after.full - (afterFirst.resumed + afterFirst.full), more);
    // With more than one engine, each makes one full handshake of its own first.
    const engines = ctx.shape === 'split' ? (await cluster.engineMetrics()).length : 1;
    assert.ok(
      after.resumed - afterFirst.resumed >= more - (engines - 1),
      `resumed ${after.resumed - afterFirst.resumed} of ${more}`,
    );
  });

  test('gatectl db ls shows the TLS protocol and cipher the engines negotiate with the database', async () => {
    const cluster = ctx.cluster();
    const out = await cluster.gatectl(['db', 'ls', '--format', 'json']);
    assert.equal(out.code, 0, out.stderr);
    const row = (JSON.parse(out.stdout) as Array<{ name: string; tls: string }>).find(
      (r) => r.name === cluster.dbService,
    );
    assert.match(row?.tls ?? '', /^TLSv1\.[23] [A-Z0-9_-]+$/);
    // What MariaDB says of a session's TLS through the gateway (the engine's leg, same settings).
    const seen = await mariadbCli(cluster, ctx.alice(), [
      '-e',
      "SHOW STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')",
    ]);
    assert.equal(seen.code, 0, seen.stderr);
    const status = Object.fromEntries(
      seen.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t') as [string, string]),
    );
    assert.equal(row?.tls, `${status.Ssl_version} ${status.Ssl_cipher}`);
    const table = await cluster.gatectl(['db', 'ls']);
    assert.match(table.stdout, new RegExp(`${cluster.dbService}\\s+healthy\\s+\\S+\\s+TLSv1\\.[23] [A-Z0-9_-]+\\s`));
  });

  if (ctx.shape !== 'single') return;

  test('a resumed session of a user locked in between is refused with the lock ERR', async () => {
    const cluster = ctx.cluster();
    const dave = await ctx.addUser('dave');
    const ssl = sslFor(dave);
    const conn = await connect(cluster, ssl);
    await conn.query('SELECT 1');
    await conn.end();
    const lock = await cluster.gatectl(['lock', '--user', 'dave', '--message', 'resumed-session lock test']);
    assert.equal(lock.code, 0, lock.stderr);
    const before = await proxyHandshakes(cluster);
    await assert.rejects(connect(cluster, ssl), (err: Error & { errno?: number }) => {
      assert.equal(err.errno, 1045);
      assert.match(err.message, /locked/);
      assert.match(err.message, /resumed-session lock test/);
      return true;
    });
    const after = await proxyHandshakes(cluster);
    assert.equal(after.resumed - before.resumed, 1, 'the refused login was a resumed session');
  });

  test('a resumed session whose certificate expired in between is refused with the expiry ERR', async () => {
    const cluster = ctx.cluster();
    await ctx.addUser('eve');
    // Long enough for the first login to finish on a loaded machine.
    const short = await cluster.signUser('eve', { dbUser: 'app_rw', ttl: '10s' });
    const notAfter = new Date(new X509Certificate(short.cert).validTo).getTime();
    const ssl = sslFor(short);
    const conn = await connect(cluster, ssl);
    await conn.query('SELECT 1');
    await conn.end();
    // The certificate's own end, then one more second for the proxy's clock to agree.
    await waitFor('the short certificate to expire', () => (Date.now() > notAfter + 1000 ? true : undefined), 30_000);
    const before = await proxyHandshakes(cluster);
    await assert.rejects(connect(cluster, ssl), (err: Error & { errno?: number }) => {
      assert.equal(err.errno, 1045);
      assert.match(err.message, /expired at \d{4}-\d{2}-\d{2}/);
      return true;
    });
    const after = await proxyHandshakes(cluster);
    assert.equal(after.resumed - before.resumed, 1, 'the refused login was a resumed session');
  });
}
