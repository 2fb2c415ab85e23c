// The database side of x509 mode: a MariaDB that trusts the exported db-client CA admits a
// user created with REQUIRE SUBJECT '/CN=alice' when they present an ephemeral cert from here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { findExecutable, startMariaDb } from '@gatehouse/testing';
import { ensureAuthorities, issueDbClientCert } from '../../src/index.js';

const run = promisify(execFile);

test('mariadb admits alice with an ephemeral db-client cert, and refuses a cert for another CN', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-x509-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const auth = await ensureAuthorities(join(dir, 'data'));
  const bundle = join(dir, 'trusted.pem');
  await writeFile(bundle, auth.exportPem('db-client'));
  const db = await startMariaDb({ shared: false, args: [`--ssl-ca=${bundle}`] });
  t.after(() => db.stop());
  // The harness CA joins the bundle once the server made it; FLUSH SSL reloads the file.
  await writeFile(bundle, `${auth.exportPem('db-client')}${await readFile(db.ca.caFile, 'utf8')}`);
  await db.sql('FLUSH SSL');
  await db.sql("CREATE USER 'alice'@'%' REQUIRE SUBJECT '/CN=alice'");

  const signer = await auth.signer('db-client');
  const userCertExpiry = new Date(Date.now() + 5 * 60_000);
  const login = async (cn: string): Promise<string> => {
    const issued = await issueDbClientCert(signer, { dbUser: cn, notAfter: userCertExpiry });
    const cert = join(dir, `${cn}.crt`);
    const key = join(dir, `${cn}.key`);
    await writeFile(cert, issued.certificate);
    await writeFile(key, issued.privateKey, { mode: 0o600 });
    const client = findExecutable(['mariadb', 'mysql'])!;
    const { stdout } = await run(client, [
      '--no-defaults',
      '--protocol=TCP',
      `--host=${db.host}`,
      `--port=${db.port}`,
      '--user=alice',
      `--ssl-ca=${db.ca.caFile}`,
      `--ssl-cert=${cert}`,
      `--ssl-key=${key}`,
      '--batch',
      '--skip-column-names',
      '-e',
      'SELECT CURRENT_USER()',
    ]);
    return stdout.trim();
  };
  assert.equal(await login('alice'), 'alice@%');
  await assert.rejects(login('mallory'), /Access denied for user 'alice'/);
});
