// TCP keepalive on every leg (config proxy/engine tcp_keepalive, on by default): the client's
// socket at the proxy, the engine's socket to the database, and the tunnel socket at both ends,
// read back from the kernel (see support/tcp-sockets.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '@gatehouse/testing';
import { connectMysql2 } from './support/clients.js';
import { type Cluster, startCluster } from './support/cluster.js';
import { listTcpSockets, type TcpSocketInfo } from './support/tcp-sockets.js';

const ESTABLISHED = 1;
const KEEPALIVE_TIMER = 2;

let cluster: Cluster;

before(async () => {
  cluster = await startCluster({ shape: 'split', engines: 1 });
  const add = await cluster.gatectl(['users', 'add', 'kate', '--roles', 'e2e-dev', '--db-users', 'app_rw']);
  assert.equal(add.code, 0, add.stderr);
});
after(async () => {
  await cluster?.stop();
});

function describe(s: TcpSocketInfo | undefined): string {
  return s ? `timer ${s.timer}, ${s.timerMs} ms` : 'no such socket';
}

test('client, database and tunnel sockets have TCP keepalive armed (60 s idle by default)', async () => {
  const certs = await cluster.signUser('kate', { dbUser: 'app_rw', dbName: 'app' });
  const conn = await connectMysql2(cluster, certs);
  try {
    await conn.query('SELECT 1');
    const clientPort = (conn as unknown as { connection: { stream: { localPort: number } } }).connection.stream
      .localPort;
    const established = (): TcpSocketInfo[] => listTcpSockets().filter((s) => s.state === ESTABLISHED);
    // Right after traffic a socket may show the retransmit timer (1) instead; wait until it is
    // quiet and shows what it has when idle: keepalive (2) or no timer (0).
    const settled = (what: string, match: (s: TcpSocketInfo) => boolean): Promise<TcpSocketInfo> =>
      waitFor(what, () => established().find((s) => match(s) && (s.timer === 0 || s.timer === KEEPALIVE_TIMER)));

    // The proxy's end of this client's connection.
    const atProxy = await settled(
      'the client socket at the proxy',
      (s) => s.localPort === cluster.mysqlPort && s.remotePort === clientPort,
    );
    assert.equal(atProxy?.timer, KEEPALIVE_TIMER, `client socket at the proxy: ${describe(atProxy)}`);
    assert.ok(atProxy.timerMs > 50_000 && atProxy.timerMs <= 60_000, `idle default 60 s: ${describe(atProxy)}`);
    // The other end, mysql2's socket, arms keepalive itself with the kernel's idle (2 h): the
    // check tells the proxy's 60 s apart from it.
    const atClient = await settled(
      "mysql2's socket",
      (s) => s.localPort === clientPort && s.remotePort === cluster.mysqlPort,
    );
    assert.ok(
      atClient.timer !== KEEPALIVE_TIMER || atClient.timerMs > 60_000,
      `mysql2's own socket: ${describe(atClient)}`,
    );

    // The engine's socket to MariaDB (the health checker's come and go; the session's stays).
    const toDb = await waitFor('an engine socket to the database with keepalive', () =>
      established().find((s) => s.remotePort === cluster.db.port && s.timer === KEEPALIVE_TIMER),
    );
    assert.ok(toDb.timerMs <= 60_000, describe(toDb));

    // The tunnel, engine side (dials the web port) and proxy side (accepted on it).
    const tunnelOut = await settled('the tunnel socket at the engine', (s) => s.remotePort === cluster.webPort);
    assert.equal(tunnelOut?.timer, KEEPALIVE_TIMER, `tunnel socket at the engine: ${describe(tunnelOut)}`);
    const tunnelIn = await settled(
      'the tunnel socket at the proxy',
      (s) => s.localPort === cluster.webPort && s.remotePort === tunnelOut.localPort,
    );
    assert.equal(tunnelIn?.timer, KEEPALIVE_TIMER, `tunnel socket at the proxy: ${describe(tunnelIn)}`);
  } finally {
    await conn.end();
  }
});
