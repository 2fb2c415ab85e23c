// The proxy's unix socket end to end: the mariadb CLI connects over the socket with TLS and
// its certificate, as root and as `nobody` (runuser), and the proxy reads who it is with
// SO_PEERCRED. The audit records each uid; a role that requires uid 0 admits root only, and
// refuses TCP clients, with an ERR that says why.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findExecutable, waitFor } from '@gatehouse/testing';
import { type CliOutcome, mariadbCli } from './support/clients.js';
import { type Cluster, startCluster, type UserCerts } from './support/cluster.js';

interface StartEvent {
  event: string;
  user: string;
  success: boolean;
  error?: { message: string };
  unix_peer?: {
    socket: string;
    uid?: number;
    gid?: number;
    pid?: number;
    user?: string;
    exe?: string;
    cgroup?: string;
  };
}

/** Certificate files `nobody` can read: copies in a directory of their own (the originals are private). */
function readableByAll(certs: UserCerts): UserCerts {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-certs-'));
  chmodSync(dir, 0o755);
  const copy = (file: string, name: string): string => {
    const to = join(dir, name);
    copyFileSync(file, to);
    chmodSync(to, 0o644);
    return to;
  };
  return {
    ...certs,
    certFile: copy(certs.certFile, 'user.crt'),
    keyFile: copy(certs.keyFile, 'user.key'),
    casFile: copy(certs.casFile, 'user.cas'),
  };
}

/** The mariadb CLI on the proxy's unix socket with TLS and the certificate, optionally as another OS user. */
function socketCli(cluster: Cluster, certs: UserCerts, sql: string, runAs?: string): Promise<CliOutcome> {
  const cli = findExecutable(['mariadb', 'mysql']);
  assert.ok(cli, 'the mariadb client is installed');
  assert.ok(cluster.mysqlSocket !== undefined);
  const args = [
    '--no-defaults',
    '--protocol=SOCKET',
    `--socket=${cluster.mysqlSocket}`,
    `--user=${certs.dbUser ?? ''}`,
    `--ssl-ca=${certs.casFile}`,
    `--ssl-cert=${certs.certFile}`,
    `--ssl-key=${certs.keyFile}`,
    '--ssl-verify-server-cert',
    '--batch',
    '--skip-column-names',
    '-e',
    sql,
  ];
  const [file, full] =
    runAs === undefined ? [cli, args] : [findExecutable(['runuser']) ?? 'runuser', ['-u', runAs, '--', cli, ...args]];
  return new Promise((resolve) => {
    execFile(file, full, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('unix socket clients and their peer credentials', () => {
  let cluster: Cluster;
  let rootOnly: UserCerts;
  let alice: UserCerts;
  const cleanup: string[] = [];

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'these tests run clients as root and as nobody: run them as root');
    cluster = await startCluster({ shape: 'single', unixSocket: true });
    for (const [name, role] of [
      ['unixy', 'e2e-unix-root'],
      ['alice', 'e2e-dev'],
    ] as const) {
      const add = await cluster.gatectl(['users', 'add', name, '--roles', role, '--db-users', 'app_rw']);
      assert.equal(add.code, 0, add.stderr);
    }
    rootOnly = await cluster.signUser('unixy', { dbUser: 'app_rw', dbName: 'app' });
    alice = await cluster.signUser('alice', { dbUser: 'app_rw', dbName: 'app' });
  });
  after(async () => {
    await cluster?.stop();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  test('root and nobody on the socket: a role requiring uid 0 admits root only; the audit records each uid', async () => {
    const asRoot = await socketCli(cluster, rootOnly, "SELECT 'root-ok', CURRENT_USER()");
    assert.equal(asRoot.code, 0, asRoot.stderr);
    assert.match(asRoot.stdout, /^root-ok\tapp_rw@/m);

    const shared = readableByAll(rootOnly);
    cleanup.push(join(shared.certFile, '..'));
    const asNobody = await socketCli(cluster, shared, "SELECT 'nobody-ok'", 'nobody');
    assert.notEqual(asNobody.code, 0);
    assert.match(asNobody.stderr, /ERROR 1045/);
    assert.match(asNobody.stderr, /role 'e2e-unix-root' does not admit unix peer uid 65534 \(nobody\)/);
    assert.match(asNobody.stderr, /allow\.unix_peers: \{ uid: 0 \}/);

    // The same certificate over TCP: the role admits only unix-socket clients.
    const overTcp = await mariadbCli(cluster, rootOnly, ['-e', 'SELECT 1']);
    assert.match(overTcp.stderr, /ERROR 1045.*admits only clients on the proxy's unix socket/);

    // A role with no unix_peers rule does not narrow: nobody gets in with alice's certificate.
    const aliceShared = readableByAll(alice);
    cleanup.push(join(aliceShared.certFile, '..'));
    const aliceAsNobody = await socketCli(cluster, aliceShared, "SELECT 'alice-ok'", 'nobody');
    assert.equal(aliceAsNobody.code, 0, aliceAsNobody.stderr);
    assert.match(aliceAsNobody.stdout, /^alice-ok$/m);

    const starts = await waitFor('the four session starts in the audit log', async () => {
      const r = await cluster.gatectl(['audit', 'search', '--type', 'db.session.start', '--format', 'json']);
      if (r.code !== 0) return undefined;
      const events = JSON.parse(r.stdout) as StartEvent[];
      const onSocket = events.filter((e) => e.unix_peer !== undefined);
      return onSocket.length >= 3 && events.some((e) => e.user === 'unixy' && e.unix_peer === undefined)
        ? events
        : undefined;
    });
    const find = (user: string, uid: number | undefined): StartEvent => {
      const hits = starts.filter((e) => e.user === user && e.unix_peer?.uid === uid);
      assert.equal(hits.length, 1, `one session start of ${user} with uid ${uid}`);
      return hits[0] as StartEvent;
    };
    const root = find('unixy', 0);
    assert.equal(root.success, true);
    assert.equal(root.unix_peer?.gid, 0);
    assert.equal(root.unix_peer?.user, 'root');
    assert.equal(root.unix_peer?.socket, cluster.mysqlSocket);
    assert.ok((root.unix_peer?.pid ?? 0) > 0);
    assert.match(root.unix_peer?.exe ?? '', /\/(mariadb|mysql)$/);
    assert.equal(typeof root.unix_peer?.cgroup, 'string');

    const refused = find('unixy', 65534);
    assert.equal(refused.success, false);
    assert.match(refused.error?.message ?? '', /does not admit unix peer uid 65534/);
    assert.equal(refused.unix_peer?.user, 'nobody');

    assert.equal(find('alice', 65534).success, true);
    const tcp = starts.filter((e) => e.user === 'unixy' && e.unix_peer === undefined);
    assert.equal(tcp.length, 1);
    assert.equal(tcp[0]?.success, false);
  });
});
