// Session resumption on the proxy's MySQL port with `openssl s_client -starttls mysql`, the
// client that showed issue 21's alert: it reads the proxy's greeting, sends an SSLRequest, and
// saves or offers the TLS session. These are about TLS only, so the proxy runs without an engine.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { issueUserCert } from '@gatehouse/auth';
import { waitFor } from '@gatehouse/testing';
import mysql from 'mysql2/promise';
import { type AuthProxy, startAuthProxy } from './support/auth-proxy.js';
import { type Outcome, sClient } from './support/s-client.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sclient-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A user certificate from the proxy's own user CA, as files for s_client. */
async function userCert(ap: AuthProxy, name: string): Promise<{ cert: string; key: string }> {
  const issued = await issueUserCert(await ap.authorities.signer('user'), {
    user: name,
    roles: ['dev'],
    dbService: 'db',
    dbUser: 'app',
    dbUsers: [],
    dbNames: [],
  });
  const cert = join(dir, `${ap.proxy.proxyId}-${name}.crt`);
  const key = join(dir, `${ap.proxy.proxyId}-${name}.key`);
  writeFileSync(cert, issued.certificate);
  writeFileSync(key, issued.privateKey, { mode: 0o600 });
  return { cert, key };
}

/** SSL_SESSION DER: SEQUENCE { …, [10] EXPLICIT OCTET STRING ticket, … } (OpenSSL ssl_asn1.c). */
function corruptTicket(pemFile: string): void {
  const pem = readFileSync(pemFile, 'utf8');
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  const readLength = (at: number): [number, number] => {
    const first = der[at]!;
    if (first < 0x80) return [first, at + 1];
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[at + 1 + i]!;
    return [length, at + 1 + (first & 0x7f)];
  };
  let [, at] = readLength(1);
  for (;;) {
    assert.ok(at < der.length, 'the saved session holds a ticket');
    const tag = der[at]!;
    const [length, content] = readLength(at + 1);
    if (tag === 0xaa) {
      const [ticketLength, ticket] = readLength(content + 1);
      // The middle of the sealed part: its MAC no longer matches.
      der[ticket + (ticketLength >> 1)]! ^= 0xff;
      break;
    }
    at = content + length;
  }
  const lines = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  writeFileSync(pemFile, `-----BEGIN SSL SESSION PARAMETERS-----\n${lines}\n-----END SSL SESSION PARAMETERS-----\n`);
}

function assertNoAlert(outcome: Outcome): void {
  assert.doesNotMatch(outcome.output, /alert/i);
}

for (const flag of ['-tls1_2', '-tls1_3'] as const) {
  test(`s_client ${flag}: the second connection resumes the session the first saved`, async (t) => {
    const ap = await startAuthProxy(t, `resume${flag}`);
    const files = await userCert(ap, 'alice');
    const sess = join(dir, `resume${flag}.pem`);
    const first = await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessOut: sess });
    assert.equal(first.session, 'New');
    assert.equal(first.protocol, flag === '-tls1_2' ? 'TLSv1.2' : 'TLSv1.3');
    const second = await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: sess });
    assert.equal(second.session, 'Reused', second.output);
    assertNoAlert(second);
  });

  test(`s_client ${flag}: with proxy.tls.resumption false an offered session gets a full handshake, no alert`, async (t) => {
    const ap = await startAuthProxy(t, `noresume${flag}`, { tls: { resumption: false } });
    const files = await userCert(ap, 'alice');
    const sess = join(dir, `noresume${flag}.pem`);
    await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessOut: sess });
    const second = await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: sess });
    assert.equal(second.session, 'New', second.output);
    assertNoAlert(second);
  });

  test(`s_client ${flag}: a corrupted ticket and another cluster's session each get a full handshake`, async (t) => {
    const ap = await startAuthProxy(t, `corrupt${flag}`);
    const files = await userCert(ap, 'alice');
    const sess = join(dir, `corrupt${flag}.pem`);
    await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessOut: sess });
    corruptTicket(sess);
    const corrupted = await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: sess });
    assert.equal(corrupted.session, 'New', corrupted.output);
    assertNoAlert(corrupted);

    // Another Gatehouse cluster: its own CAs (so another session id context) and its own ticket key.
    const other = await startAuthProxy(t, `other${flag}`);
    const foreign = join(dir, `foreign${flag}.pem`);
    await sClient(other.proxy.mysqlAddress.port, await userCert(other, 'alice'), [flag], { sessOut: foreign });
    const offered = await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: foreign });
    assert.equal(offered.session, 'New', offered.output);
    assertNoAlert(offered);
    // And the session this proxy issued itself still resumes: the fallbacks harmed nothing.
    await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessOut: sess });
    assert.equal((await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: sess })).session, 'Reused');
  });

  test(`s_client ${flag}: after the hourly ticket key rotation, an old ticket gets a full handshake`, async (t) => {
    const ap = await startAuthProxy(t, `rotate${flag}`);
    const files = await userCert(ap, 'alice');
    const sess = join(dir, `rotate${flag}.pem`);
    await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessOut: sess });
    ap.proxy.credentials.rotateTicketKey();
    const stale = await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: sess });
    assert.equal(stale.session, 'New', stale.output);
    assertNoAlert(stale);
    // The ticket it got now is sealed with the new key, and resumes.
    await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessOut: sess });
    assert.equal((await sClient(ap.proxy.mysqlAddress.port, files, [flag], { sessIn: sess })).session, 'Reused');
  });
}

test('TLS 1.2 without tickets: the session id resumes from the proxy session cache', async (t) => {
  const ap = await startAuthProxy(t, 'sid-only');
  const files = await userCert(ap, 'alice');
  const sess = join(dir, 'sid-only.pem');
  const first = await sClient(ap.proxy.mysqlAddress.port, files, ['-tls1_2', '-no_ticket'], { sessOut: sess });
  assert.equal(first.session, 'New');
  const second = await sClient(ap.proxy.mysqlAddress.port, files, ['-tls1_2', '-no_ticket'], { sessIn: sess });
  assert.equal(second.session, 'Reused', second.output);
  assertNoAlert(second);
});

/** Full (not resumed) client TLS handshakes the proxy counted, over every protocol. */
async function fullHandshakes(ap: AuthProxy): Promise<number> {
  const metric = ap.proxy.metrics.registry.getSingleMetric('gatehouse_proxy_tls_handshakes_total');
  assert.ok(metric, 'the proxy registers gatehouse_proxy_tls_handshakes_total');
  const { values } = await metric.get();
  return values.filter((v) => v.labels.resumed === 'false').reduce((n, v) => n + v.value, 0);
}

test('after a user CA rotation grace ends, a session of an old-CA certificate is refused like the certificate itself', async (t) => {
  const ap = await startAuthProxy(t, 'user-ca-rotation');
  const files = await userCert(ap, 'alice');
  const ssl = {
    ca: ap.authorities.list('host')[0]!.certificate,
    cert: readFileSync(files.cert, 'utf8'),
    key: readFileSync(files.key, 'utf8'),
  };
  const connect = (options: typeof ssl) =>
    mysql.createConnection({ host: '127.0.0.1', port: ap.proxy.mysqlAddress.port, user: 'app', ssl: options }).then(
      (conn) => {
        conn.destroy();
        throw new Error('the login was accepted');
      },
      (err: Error) => err.message,
    );
  // This proxy has no engine: a login that passes the certificate checks ends at routing.
  assert.match(await connect(ssl), /no engine serves database 'db'/);
  const graceMs = 1500;
  const rotatedAt = Date.now();
  await ap.authorities.rotate('user', { graceMs });
  await waitFor('the grace period to end', () => (Date.now() > rotatedAt + graceMs + 100 ? true : undefined));
  // mysql2 offers the first connection's session again (same ssl object); a fresh object does not.
  const offered = await connect(ssl);
  const fresh = await connect({ ...ssl });
  assert.match(fresh, /not signed by a CA Gatehouse trusts/);
  assert.equal(offered, fresh);
  // Once the proxy has seen the new CA set, its session id context changed: a full handshake.
  await ap.proxy.credentials.refresh();
  const fullBefore = await fullHandshakes(ap);
  assert.equal(await connect(ssl), fresh);
  assert.equal((await fullHandshakes(ap)) - fullBefore, 1);
});

test('proxy.tls.min_version and ciphers apply to the MySQL port', async (t) => {
  const ap = await startAuthProxy(t, 'tls-settings', {
    tls: { min_version: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' },
  });
  const files = await userCert(ap, 'alice');
  const modern = await sClient(ap.proxy.mysqlAddress.port, files, [], {});
  assert.equal(modern.protocol, 'TLSv1.3');
  assert.equal(modern.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
  // A TLS 1.2 client is turned away by the TLS layer itself (a protocol version alert).
  await assert.rejects(
    sClient(ap.proxy.mysqlAddress.port, files, ['-tls1_2'], {}),
    /s_client exited early[\s\S]*(alert|version)/i,
  );
});
