import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkUnixPeers, parseRole, type UnixPeer } from '../../src/index.js';
import { matchesUnixPeerRule, UnixPeerRuleSchema } from '../../src/rbac/unix-peer.js';

const root: UnixPeer = {
  socket: '/run/gh.sock',
  uid: 0,
  gid: 0,
  pid: 10,
  user: 'root',
  group: 'root',
  cgroup: '/user.slice/user-0.slice',
};
const backup: UnixPeer = {
  socket: '/run/gh.sock',
  uid: 1001,
  gid: 1001,
  pid: 11,
  user: 'backup',
  exe: '/usr/bin/mariadb-dump',
  cgroup: '/system.slice/backup.service',
};

test('a unix_peers entry matches when every field it names matches', () => {
  assert.equal(matchesUnixPeerRule({ uid: 0 }, root), true);
  assert.equal(matchesUnixPeerRule({ uid: 0 }, backup), false);
  assert.equal(matchesUnixPeerRule({ user: 'backup', cgroup: 'system.slice/backup.service' }, backup), true);
  assert.equal(matchesUnixPeerRule({ user: 'backup', cgroup: 'system.slice/other.service' }, backup), false);
  // A cgroup rule covers the cgroups below it, and takes globs.
  assert.equal(matchesUnixPeerRule({ cgroup: '/system.slice' }, backup), true);
  assert.equal(matchesUnixPeerRule({ cgroup: 'system.slice/*.service' }, backup), true);
  assert.equal(matchesUnixPeerRule({ cgroup: 'system' }, backup), false);
  assert.equal(matchesUnixPeerRule({ exe: '/usr/bin/mariadb*' }, backup), true);
  // A field the peer lacks never matches.
  assert.equal(matchesUnixPeerRule({ exe: '*' }, root), false);
});

test('roles parse unix_peers; an empty entry or an unknown key is refused', () => {
  const role = parseRole({
    kind: 'role',
    name: 'backup',
    allow: { db_users: ['bk'], unix_peers: [{ uid: 1001 }, { user: 'backup', cgroup: 'system.slice/backup.service' }] },
  });
  assert.equal(role.allow?.unix_peers?.length, 2);
  assert.equal(UnixPeerRuleSchema.safeParse({}).success, false);
  assert.equal(UnixPeerRuleSchema.safeParse({ pid: 1 }).success, false);
  assert.equal(UnixPeerRuleSchema.safeParse({ uid: -1 }).success, false);
});

test('checkUnixPeers: granting roles without unix_peers do not narrow; with it, the peer must match', () => {
  const open = { name: 'open', allow: undefined, deny: undefined };
  const rootOnly = { name: 'root-only', allow: [{ uid: 0 }], deny: undefined };
  assert.deepEqual(checkUnixPeers([open, rootOnly], [open, rootOnly], undefined), { allowed: true });
  assert.deepEqual(checkUnixPeers([rootOnly], [rootOnly], root), { allowed: true });

  const tcp = checkUnixPeers([rootOnly], [rootOnly], undefined);
  assert.equal(tcp.allowed, false);
  assert.match(tcp.allowed ? '' : tcp.reason, /role 'root-only' admits only clients on the proxy's unix socket/);

  const other = checkUnixPeers([rootOnly], [rootOnly], backup);
  assert.match(other.allowed ? '' : other.reason, /does not admit unix peer uid 1001 \(backup\), gid 1001, pid 11/);

  // Without the addon the proxy sends why; the role refuses and says so.
  const unknown = checkUnixPeers([rootOnly], [rootOnly], {
    socket: '/run/gh.sock',
    unavailable: 'the addon is not built',
  });
  assert.match(
    unknown.allowed ? '' : unknown.reason,
    /requires unix peer credentials .* could not read them: the addon is not built/,
  );
});

test("checkUnixPeers: a deny rule of any of the user's roles refuses a matching peer", () => {
  const open = { name: 'open', allow: undefined, deny: undefined };
  const noBackup = { name: 'no-backup', allow: undefined, deny: [{ user: 'backup' }] };
  assert.deepEqual(checkUnixPeers([open, noBackup], [open], root), { allowed: true });
  const denied = checkUnixPeers([open, noBackup], [open], backup);
  assert.match(denied.allowed ? '' : denied.reason, /role 'no-backup' denies unix peer uid 1001/);
});
