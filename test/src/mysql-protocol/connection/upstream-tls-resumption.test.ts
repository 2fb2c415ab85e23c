// Database-leg TLS resumption against the real MariaDB: sessions are offered again only under the
// same resume key, with the same certificate, to the same server; the TLS settings apply.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type ConnectUpstreamOptions, connectUpstream, type UpstreamTlsOptions } from '@gatehouse/mysql-protocol';
import { startMariaDb } from '@gatehouse/testing';
import { simpleQuery } from './helpers.js';

const db = await startMariaDb();
const tcp = { kind: 'tcp', host: '127.0.0.1', port: db.port } as const;
const ca = db.ca.caPem;
const user = db.uniqueName('resume');
const x509User = db.uniqueName('resumex');
await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'r3sume-pw'`);
await db.sql(`CREATE USER '${x509User}'@'%' REQUIRE SUBJECT '/CN=${x509User}'`);

/** Logs in, reads what MariaDB says of the session, hangs up; returns whether TLS resumed. */
async function session(
  options: Omit<ConnectUpstreamOptions, 'address'>,
): Promise<{ resumed: boolean; protocol: string; cipher: string; currentUser: string }> {
  const conn = await connectUpstream({ address: tcp, timeoutMs: 10_000, ...options });
  try {
    const r = await simpleQuery(
      conn.socket,
      conn.leftover,
      "SELECT CURRENT_USER(), VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_VERSION'",
    );
    assert.equal(r.error, undefined);
    const tls = conn.tlsSession;
    assert.ok(tls !== undefined);
    // What the server reports is what the client negotiated.
    assert.equal(r.rows[0]![1], tls.protocol);
    return { resumed: tls.resumed, protocol: tls.protocol, cipher: tls.cipher, currentUser: r.rows[0]![0]! };
  } finally {
    conn.socket.destroy();
  }
}

const password = (tls: UpstreamTlsOptions) => ({ user, password: 'r3sume-pw', tls });

test('connections under one resume key resume the first one’s TLS session; other keys and no key do not', async () => {
  const key = db.uniqueName('key');
  const tls: UpstreamTlsOptions = { mode: 'verify-full', ca, servername: 'localhost', resumeKey: key };
  assert.equal((await session(password(tls))).resumed, false);
  assert.equal((await session(password(tls))).resumed, true);
  assert.equal((await session(password(tls))).resumed, true);
  assert.equal((await session(password({ ...tls, resumeKey: `${key}-other` }))).resumed, false);
  const { resumeKey: _unused, ...noKey } = tls;
  assert.equal((await session(password(noKey))).resumed, false);
  // The same key in another verification mode is another slot: a resumed session skips the checks.
  assert.equal((await session(password({ ...tls, mode: 'verify-ca' }))).resumed, false);
});

test('an x509 login resumes with its own certificate, and a new certificate starts afresh', async () => {
  const key = db.uniqueName('x509key');
  const first = await db.issueClientCert(x509User);
  const tls: UpstreamTlsOptions = {
    mode: 'verify-ca',
    ca,
    cert: readFileSync(first.certFile),
    key: readFileSync(first.keyFile),
    resumeKey: key,
  };
  const a = await session({ user: x509User, tls });
  const b = await session({ user: x509User, tls });
  assert.deepEqual([a.resumed, b.resumed], [false, true]);
  // MariaDB takes the resumed session's certificate as the login's: REQUIRE SUBJECT still holds.
  assert.equal(b.currentUser, `${x509User}@%`);
  const renewed = await db.issueClientCert(x509User);
  const c = await session({
    user: x509User,
    tls: { ...tls, cert: readFileSync(renewed.certFile), key: readFileSync(renewed.keyFile) },
  });
  assert.equal(c.resumed, false);
});

test('min_version and ciphers apply to the database leg', async () => {
  const tls13 = await session(
    password({ mode: 'verify-ca', ca, minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }),
  );
  assert.equal(tls13.protocol, 'TLSv1.3');
  assert.equal(tls13.cipher, 'TLS_AES_128_GCM_SHA256');
});
