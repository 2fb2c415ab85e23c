import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { initAuthorities, issueHostCert } from '@gatehouse/auth';
import { type AuditEvent, createSessionTokenSigner, GatehouseConfigSchema, signSessionToken } from '@gatehouse/common';
import { parseErrPacket, parseOkPacket } from '@gatehouse/mysql-protocol';
import type { StreamOpenHeader } from '@gatehouse/tunnel';
import pino from 'pino';
import { createEngine } from '../../src/index.js';
import { RawClient } from './raw-client.js';
import { CLIENT_CAPS, createFixture, readOnePacket, SERVICE } from './session-fixture.js';
import { createTunnelPair } from './tunnel-pair.js';

test("streams need a proxy session token: forged, expired, replayed and unknown-key tokens are refused (a migrating session's handoff stream too), and the engine stays up", async (t) => {
  const f = await createFixture(t);
  const authorities = f.cluster.authorities;
  const proxyCert = await issueHostCert(await authorities.signer('host'), { name: 'proxy-a', sans: [] });
  const strangerDir = mkdtempSync(join(tmpdir(), 'gatehouse-stranger-'));
  t.after(() => rmSync(strangerDir, { recursive: true, force: true }));
  const stranger = await initAuthorities(strangerDir);
  const strangerCert = await issueHostCert(await stranger.authorities.signer('host'), { name: 'proxy-a', sans: [] });

  const config = GatehouseConfigSchema.parse({
    engine: { name: 'engine-t', diag_listen: '127.0.0.1:0', health_check_interval: '1h', databases: [f.database] },
  }).engine;
  const engine = await createEngine({
    config,
    log: pino({ level: 'silent' }),
    cluster: f.cluster,
    diag: false,
    sessionTokenCas: () => authorities.trustedCas('host').map((ca) => ca.certificate),
  });
  t.after(() => engine.close({ graceMs: 0 }));
  // The headers the engine was given, to see what a live session keeps of them.
  const opened = new Map<string, StreamOpenHeader>();
  const pair = createTunnelPair((incoming) => {
    opened.set(incoming.header.sessionId, incoming.header);
    engine.handleStream(incoming);
  });
  t.after(() => pair.close());
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: SERVICE });
  const route = { dbService: SERVICE, dbUser: f.dbUser, dbName: f.schema };
  const der = (pem: string) => new X509Certificate(pem).raw.toString('base64');
  const signed = (
    sessionId: string,
    cert: { certificate: string; privateKey: string },
    options: { now?: number; ttlS?: number } = {},
  ) => ({
    sessionToken: signSessionToken(
      { sessionId, user: 'alice', route, ...options },
      createSessionTokenSigner(cert.privateKey),
    ),
    sessionTokenCert: der(cert.certificate),
  });
  let n = 0;
  const open = async (extensions: Record<string, unknown>, sessionId = `tok-${++n}`) => {
    const header: StreamOpenHeader = {
      sessionId,
      clientAddress: { host: '127.0.0.1', port: 1 },
      route,
      capabilities: CLIENT_CAPS,
      mariadbCapabilities: 0,
      connectionAttributes: {},
      clientCertChain: [alice],
      extensions: { proxyId: 'proxy-a', ...extensions },
    };
    const stream = await pair.proxy.openStream(header);
    return { stream, first: await readOnePacket(stream), sessionId };
  };
  const refusedFor = async (extensions: Record<string, unknown>, sessionId?: string) => {
    const { first, sessionId: sid } = await open(extensions, sessionId);
    const err = parseErrPacket(first.payload, CLIENT_CAPS);
    assert.equal(err.kind, 'err');
    if (err.kind !== 'err') return '';
    assert.equal(err.errno, 1045);
    const start = f.cluster.events.filter((e: AuditEvent) => e.sid === sid && e.event === 'db.session.start').at(-1) as
      | Record<string, unknown>
      | undefined;
    assert.equal(start?.success, false, 'the refusal is audited');
    return err.message;
  };

  assert.match(await refusedFor({}), /refused \(malformed\).*no session token/);
  // Signed by a key of another host CA, with its own certificate: unknown.
  assert.match(await refusedFor(signed(`tok-${n + 1}`, strangerCert)), /refused \(unknown_key\)/);
  // A stranger's signature under our proxy's key id, with our proxy's certificate: a forgery.
  const proxyKid = createSessionTokenSigner(proxyCert.privateKey).kid;
  const forgedSigner = { key: createSessionTokenSigner(strangerCert.privateKey).key, kid: proxyKid };
  const forged = {
    sessionToken: signSessionToken({ sessionId: `tok-${n + 1}`, user: 'alice', route }, forgedSigner),
    sessionTokenCert: der(proxyCert.certificate),
  };
  assert.match(await refusedFor(forged), /refused \(bad_signature\)/);
  assert.match(
    await refusedFor(signed(`tok-${n + 1}`, proxyCert, { now: Date.now() - 120_000, ttlS: 30 })),
    /refused \(expired\)/,
  );
  // A token for another session.
  assert.match(await refusedFor(signed('someone-else', proxyCert)), /refused \(mismatch\)/);

  // A good token works once; replayed on a new stream it is refused.
  const good = signed('tok-good', proxyCert);
  const ok = await open(good, 'tok-good');
  assert.equal(parseOkPacket(ok.first.payload, CLIENT_CAPS).kind, 'ok');
  // Spent once checked: an idle session does not keep the token and its certificate (issue 13).
  const kept = opened.get('tok-good')?.extensions;
  assert.equal(kept?.proxyId, 'proxy-a', 'the rest of the extensions stay');
  assert.equal(kept?.sessionToken, undefined);
  assert.equal(kept?.sessionTokenCert, undefined);
  const c = new RawClient(ok.stream, CLIENT_CAPS);
  ok.stream.resume();
  assert.equal((await c.query('SELECT 1')).outcomes.at(-1)?.kind, 'resultset', 'the engine is still up and serving');
  assert.match(await refusedFor(good, 'tok-good'), /refused \(replayed\)/);
  assert.equal((await c.query('SELECT 2')).outcomes.at(-1)?.kind, 'resultset', 'the live session was not disturbed');

  // A migrating session's stream (with a handoff) is held to the same token rules.
  const handoff = {
    fromEngineId: 'engine-x',
    fromThreadId: 7,
    reason: 'test',
    startedAt: Date.now(),
    schema: f.schema,
    replay: [],
    variables: {},
    userVariables: [],
    sqlPrepared: {},
    statusFlags: 2,
    statements: [],
    clientBytes: '',
  };
  assert.match(await refusedFor({ ...good, handoff }, 'tok-good'), /refused \(replayed\)/);
  assert.match(await refusedFor({ ...signed('tok-h1', strangerCert), handoff }, 'tok-h1'), /refused \(unknown_key\)/);
  // A good token with a handoff the engine cannot read: ERR, and no session.
  const bad = await open({ ...signed('tok-h2', proxyCert), handoff: { ...handoff, statements: 'nope' } }, 'tok-h2');
  const badErr = parseErrPacket(bad.first.payload, CLIENT_CAPS);
  assert.equal(badErr.kind, 'err');
  if (badErr.kind === 'err') assert.match(badErr.message, /session handoff is malformed: statements/);
  // A good handoff: the engine rebuilds the state and answers OK with the new thread id.
  const moved = await open(
    { ...signed('tok-h3', proxyCert), handoff: { ...handoff, replay: ['SET @moved = 1'] } },
    'tok-h3',
  );
  const movedOk = parseOkPacket(moved.first.payload, CLIENT_CAPS);
  assert.equal(movedOk.kind, 'ok');
  assert.match(movedOk.kind === 'ok' ? movedOk.info : '', /^\d+$/, 'the OK names the new MySQL thread id');
  const m = new RawClient(moved.stream, CLIENT_CAPS);
  moved.stream.resume();
  const reply = await m.query('SELECT @moved');
  assert.equal(reply.outcomes.at(-1)?.kind, 'resultset', 'the rebuilt session serves');
  assert.equal((await c.query('SELECT 3')).outcomes.at(-1)?.kind, 'resultset', 'the engine is still up');
});
