import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type Postgres, startPostgres } from '../src/index.js';

let pg: Postgres;

before(async () => {
  pg = await startPostgres();
});
after(() => pg.stop());

test('each createDatabase() is a separate, empty database on the shared server', async () => {
  const a = await pg.createDatabase();
  const b = await pg.createDatabase();
  assert.notEqual(a, b);
  const nameA = new URL(a).pathname.slice(1);
  const nameB = new URL(b).pathname.slice(1);
  await pg.sql('CREATE TABLE t (x int); INSERT INTO t VALUES (7)', nameA);
  assert.equal((await pg.sql('SELECT sum(x) FROM t', nameA)).trim(), '7');
  await assert.rejects(pg.sql('SELECT * FROM t', nameB), /relation "t" does not exist/);
});

test('as root, the server runs as the postgres OS user (PostgreSQL refuses root)', async () => {
  const pid = (await pg.sql("SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1)")).trim();
  const { stdout } = await promisify(execFile)('ps', ['-o', 'user=', '-p', pid]);
  const expected = process.getuid?.() === 0 ? 'postgres' : userInfo().username;
  assert.equal(stdout.trim(), expected);
});
