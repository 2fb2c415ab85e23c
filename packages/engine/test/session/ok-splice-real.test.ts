// The OK splicer against a real MariaDB: a client that did not negotiate CLIENT_SESSION_TRACK
// reads results large enough that the database's chunks cut packets (rows and OKs) anywhere,
// and must get byte for byte what the same query sends a direct connection with its flags.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Capability, connectUpstream } from '@gatehouse/mysql-protocol';
import { makeRole } from './cluster-fixture.js';
import { RawClient } from './raw-client.js';
import { CLIENT_CAPS, createFixture } from './session-fixture.js';

/** Rows of 0 to 3000 bytes, so packet ends fall anywhere in the chunks. */
const ROWS =
  'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) ' +
  'SELECT i, REPEAT(CHAR(65 + i % 26), (i * 37) % 3001) AS v FROM n';
/**
 * Results, each ended by an OK, with OKs between them: a SET (a state change, which the
 * database tracks for the gateway's leg only) and an UPDATE (with info).
 */
const SQL = `${ROWS}; SET @x = 1; UPDATE splice_t SET v = v + 1; ${ROWS}; SET @y = 2`;

/** Collects every byte a stream delivers from now on. */
function record(stream: NodeJS.ReadableStream): Buffer[] {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  return chunks;
}

test('a client without CLIENT_SESSION_TRACK gets exactly the bytes a direct connection gets, where chunks cut packets', async (t) => {
  const f = await createFixture(t);
  f.cluster.setRoles([
    makeRole('dev', { allow: { db_labels: { env: 'dev' }, db_users: [f.dbUser], db_names: [f.schema] } }),
  ]);
  const alice = await f.cluster.issueUser({ user: 'alice', roles: ['dev'], dbService: 'orders' });
  await f.db.sql(`CREATE TABLE ${f.schema}.splice_t (id INT PRIMARY KEY, v INT)`);
  await f.db.sql(`INSERT INTO ${f.schema}.splice_t VALUES (1, 1), (2, 2)`);
  assert.equal(CLIENT_CAPS & Capability.SessionTrack, 0, 'the client does not ask for session tracking');

  const s = await f.open({ cert: alice });
  const viaGateway = new RawClient(s.stream, CLIENT_CAPS);
  s.stream.resume();
  const direct = await connectUpstream({
    address: { kind: 'tcp', host: f.db.host, port: f.db.port },
    user: f.dbUser,
    password: `pw-${f.dbUser}`,
    database: f.schema,
    tls: { mode: 'verify-ca', ca: readFileSync(f.db.ca.caFile) },
    capabilities: CLIENT_CAPS,
    mariaDbCapabilities: 0,
    characterSet: 45,
  });
  t.after(() => direct.socket.destroy());
  assert.equal(direct.capabilities & Capability.SessionTrack, 0);
  assert.equal(direct.leftover.length, 0);
  const straight = new RawClient(direct.socket, direct.capabilities);
  direct.socket.resume();

  const fromGateway = record(s.stream);
  const gatewayReply = await viaGateway.query(SQL);
  const fromDirect = record(direct.socket);
  const directReply = await straight.query(SQL);

  const gatewayBytes = Buffer.concat(fromGateway);
  const directBytes = Buffer.concat(fromDirect);
  assert.ok(directBytes.length > 1_000_000, `a reply of ${directBytes.length} bytes spans many chunks`);
  assert.equal(gatewayReply.packets.length, directReply.packets.length);
  const oks = directReply.outcomes.filter((o) => o.kind === 'ok' || o.kind === 'resultset').length;
  assert.equal(oks, 5, 'two results, two SETs and an UPDATE');
  const differs = directReply.packets.findIndex((p, i) => !p.equals(gatewayReply.packets[i]!));
  assert.equal(differs, -1, `packet ${differs}: ${gatewayReply.packets[differs]?.toString('hex')}`);
  assert.ok(gatewayBytes.equals(directBytes), 'the same bytes, OK packets in the client format included');
});
