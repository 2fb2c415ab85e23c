// gatectl on a shared PostgreSQL store, named by a config file (--config or GATEHOUSE_CONFIG),
// as an operator on any host would run it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { caLockKey, openClusterState, openPostgresStorage } from '@gatehouse/auth';
import { makeAuditEvent, type Postgres, startPostgres } from '@gatehouse/testing';
import { makeTempDir, runGatectl } from '../gatectl-child.js';

let pg: Postgres;
before(async () => {
  pg = await startPostgres();
});
after(() => pg?.stop());

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await makeTempDir(t);
  const url = await pg.createDatabase('gatectl');
  const keyFile = join(dir, 'storage.key');
  await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(
    config,
    `storage:\n  backend: postgres\n  url: ${url}\n  encryption_key_file: ${keyFile}\ndata_dir: ${join(dir, 'data')}\n`,
  );
  const roles = join(dir, 'roles.yaml');
  await writeFile(roles, 'kind: role\nname: dev\noptions: { max_session_ttl: 8h }\n');
  const gatectl = (...args: string[]) => runGatectl(['--config', config, ...args]);
  assert.equal((await gatectl('ca', 'init')).code, 0);
  assert.equal((await gatectl('roles', 'create', '-f', roles)).code, 0);
  return { gatectl, config, url, keyFile, db: new URL(url).pathname.slice(1) };
}

test('gatectl --config: racing users add and ca rotate give one winner and one clear error', async (t) => {
  const { gatectl, config, url, db } = await setup(t);
  const adds = await Promise.all([1, 2].map(() => gatectl('users', 'add', 'alice', '--roles', 'dev')));
  assert.deepEqual(adds.map((r) => r.code).sort(), [0, 1]);
  assert.match(adds.find((r) => r.code === 1)!.stderr, /user 'alice' already exists/);

  // Line the two rotations up: hold the user CA's rotation lock until both have read the active
  // CA and wait for the lock, as two operators pressing enter together would.
  const storage = await openPostgresStorage({ url });
  t.after(() => storage.close());
  let release = (): void => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const holding = storage.sql.transaction(caLockKey('user'), () => held);
  const running = Promise.all([1, 2].map(() => gatectl('ca', 'rotate', '--type', 'user', '--grace', '1h')));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const waiting = Number(
      (
        await pg.sql(
          "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
          db,
        )
      ).trim(),
    );
    if (waiting === 2) break;
    assert.ok(Date.now() < deadline, 'both rotations reached the lock');
    await new Promise((r) => setTimeout(r, 50));
  }
  release();
  await holding;
  const rotations = await running;
  assert.deepEqual(rotations.map((r) => r.code).sort(), [0, 1]);
  assert.match(rotations.find((r) => r.code === 1)!.stderr, /rotated by another process meanwhile/);

  // GATEHOUSE_CONFIG names the same store.
  const ls = await runGatectl(['users', 'ls', '--format', 'json'], { env: { GATEHOUSE_CONFIG: config } });
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(
    (JSON.parse(ls.stdout) as { name: string }[]).map((u) => u.name),
    ['alice'],
  );
  const cas = await gatectl('ca', 'ls', '--format', 'json');
  assert.equal((JSON.parse(cas.stdout) as { type: string }[]).filter((c) => c.type === 'user').length, 2);
});

test('gatectl --config: audit search and verify read PostgreSQL; verify fails on an edited row', async (t) => {
  const { gatectl, url, keyFile, db } = await setup(t);
  const state = await openClusterState({
    dataDir: '',
    storage: { backend: 'postgres', url, encryption_key_file: keyFile, max_connections: 2 },
  });
  const writer = await state.openAuditWriter();
  await writer.append([
    makeAuditEvent('db.session.query', { user: 'alice', query: 'SELECT 1' }),
    makeAuditEvent('db.session.query', { user: 'bob', query: 'SELECT 2' }),
  ]);
  await writer.close();
  await state.close();

  const search = await gatectl('audit', 'search', '--user', 'alice', '--format', 'json');
  assert.equal(search.code, 0, search.stderr);
  assert.deepEqual(
    (JSON.parse(search.stdout) as { query: string }[]).map((e) => e.query),
    ['SELECT 1'],
  );
  const ok = await gatectl('audit', 'verify');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /audit log intact: 2 events in 1 chains/);

  await pg.sql("UPDATE gh_audit SET body = replace(body, 'SELECT 2', 'SELECT 3')", db);
  const bad = await gatectl('audit', 'verify');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /audit log damaged: writer .* line 2: the hash does not match/);
});

test('gatectl --config with a wrong storage key refuses to sign, and says why', async (t) => {
  const { gatectl, keyFile } = await setup(t);
  assert.equal((await gatectl('users', 'add', 'carol', '--roles', 'dev')).code, 0);
  await writeFile(keyFile, randomBytes(32).toString('hex'));
  const dir = await makeTempDir(t);
  const sign = await gatectl('auth', 'sign', '--user', 'carol', '--db', 'orders', '--out', join(dir, 'carol'));
  assert.equal(sign.code, 1);
  assert.match(sign.stderr, /GH_ERR_STORE_KEY|cannot decrypt with this storage encryption key/);
});
