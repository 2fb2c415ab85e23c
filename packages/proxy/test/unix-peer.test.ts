import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCgroup, peerCredentialsSupport, readUnixPeer } from '../src/front-door/unix-peer.js';

test('parseCgroup reads the v2 path, else the systemd hierarchy of v1', () => {
  assert.equal(parseCgroup('0::/system.slice/backup.service\n'), '/system.slice/backup.service');
  assert.equal(parseCgroup('4:memory:/x\n1:name=systemd:/user.slice/user-0.slice\n'), '/user.slice/user-0.slice');
  assert.equal(parseCgroup('9:name=systemd:/a\n0::/b\n'), '/b');
  assert.equal(parseCgroup('garbage\n'), undefined);
});

test('the addon is built by npm install, and reads this very process as the peer', async (t) => {
  const support = peerCredentialsSupport();
  assert.equal(support.available, true, support.available ? '' : support.reason);
  const dir = mkdtempSync(join(tmpdir(), 'gh-peer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');
  const accepted = new Promise<Socket>((resolve) => {
    const server = createServer(resolve).listen(path);
    t.after(() => server.close());
  });
  const client = connect(path);
  t.after(() => client.destroy());
  await once(client, 'connect');
  const socket = await accepted;
  const peer = await readUnixPeer(socket, path);
  socket.destroy();
  assert.equal(peer.uid, process.getuid?.());
  assert.equal(peer.gid, process.getgid?.());
  assert.equal(peer.pid, process.pid);
  assert.equal(peer.exe, process.execPath);
  assert.equal(peer.socket, path);
  assert.equal(peer.unavailable, undefined);
});
