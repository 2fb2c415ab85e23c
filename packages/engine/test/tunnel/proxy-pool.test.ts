import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatabaseInfo, EngineState, TunnelReply } from '@gatehouse/tunnel';
import { pino } from 'pino';
import { createProxyPool } from '../../src/tunnel/proxy-pool.js';
import type { TunnelClient } from '../../src/tunnel/tunnel-client.js';

/** A tunnel client that records what the pool does to it. */
interface FakeTunnel {
  readonly addr: string;
  state: 'connecting' | 'connected' | 'closed';
  databases: readonly DatabaseInfo[] | undefined;
  engineState: EngineState | undefined;
  requests: string[];
}

function fakes(): { dial: (addr: string) => TunnelClient; made: FakeTunnel[] } {
  const made: FakeTunnel[] = [];
  const dial = (addr: string): TunnelClient => {
    const fake: FakeTunnel = { addr, state: 'connecting', databases: undefined, engineState: undefined, requests: [] };
    made.push(fake);
    return {
      get state() {
        return fake.state;
      },
      start: () => {
        fake.state = 'connected';
      },
      close: () => {
        fake.state = 'closed';
      },
      updateDatabases: (d: readonly DatabaseInfo[]) => {
        fake.databases = d;
      },
      setEngineState: (state: EngineState) => {
        fake.engineState = state;
      },
      request: async (method: string): Promise<TunnelReply> => {
        fake.requests.push(method);
        return { body: { via: addr } } as TunnelReply;
      },
    } as unknown as TunnelClient;
  };
  return { dial, made };
}

const log = pino({ level: 'silent' });
const proxy = (id: string, addr: string) => ({ id, addr });

test('the pool dials every listed proxy, drops the ones that left, and keeps the rest', () => {
  const { dial, made } = fakes();
  const pool = createProxyPool({ seedAddr: 'lb:3080', dial, log });
  assert.deepEqual([...pool.tunnels.keys()], ['lb:3080']);
  pool.setProxies([proxy('a', 'a:3080'), proxy('b', 'b:3080')]);
  // The seed (a balancer address) is replaced by one tunnel per proxy.
  assert.deepEqual([...pool.tunnels.keys()].sort(), ['a:3080', 'b:3080']);
  assert.equal(made.find((t) => t.addr === 'lb:3080')?.state, 'closed');
  const a = made.find((t) => t.addr === 'a:3080')!;

  pool.setProxies([proxy('a', 'a:3080'), proxy('b', 'b:3080'), proxy('c', 'c:3080')]);
  assert.deepEqual([...pool.tunnels.keys()].sort(), ['a:3080', 'b:3080', 'c:3080']);
  assert.equal(made.filter((t) => t.addr === 'a:3080').length, 1, 'a live tunnel is not redialled');

  pool.setProxies([proxy('b', 'b:3080'), proxy('c', 'c:3080')]);
  assert.equal(a.state, 'closed');
  assert.deepEqual([...pool.tunnels.keys()].sort(), ['b:3080', 'c:3080']);
  assert.ok(made.filter((t) => t.addr !== 'a:3080' && t.addr !== 'lb:3080').every((t) => t.state === 'connected'));

  // Nobody listed (every registration expired): back to the configured address.
  pool.setProxies([]);
  assert.deepEqual([...pool.tunnels.keys()], ['lb:3080']);
  pool.close();
  assert.ok(made.every((t) => t.state === 'closed'));
});

test('database updates reach every tunnel, also those dialled later; requests use a connected one', async () => {
  const { dial, made } = fakes();
  const pool = createProxyPool({ seedAddr: 'a:3080', dial, log });
  const dbs = [{ name: 'orders' }] as unknown as DatabaseInfo[];
  pool.updateDatabases(dbs);
  pool.setProxies([proxy('a', 'a:3080'), proxy('b', 'b:3080')]);
  assert.ok(made.every((t) => t.databases === dbs));
  const b = made.find((t) => t.addr === 'b:3080')!;
  made.find((t) => t.addr === 'a:3080')!.state = 'connecting';
  for (let i = 0; i < 5; i++) assert.deepEqual((await pool.request('cluster.state', {})).body, { via: 'b:3080' });
  assert.equal(b.requests.length, 5);
  b.state = 'connecting';
  assert.equal(pool.connected(), false);
  await assert.rejects(pool.request('cluster.state', {}), { code: 'GH_ERR_TUNNEL_NOT_CONNECTED' });
  pool.close();
});

test('a draining engine tells every tunnel, also those dialled later (a new proxy must not route to it)', () => {
  const { dial, made } = fakes();
  const pool = createProxyPool({ seedAddr: 'a:3080', dial, log });
  pool.setProxies([proxy('a', 'a:3080')]);
  pool.setEngineState('draining');
  pool.setProxies([proxy('a', 'a:3080'), proxy('b', 'b:3080')]);
  assert.deepEqual(
    made.map((t) => [t.addr, t.engineState]),
    [
      ['a:3080', 'draining'],
      ['b:3080', 'draining'],
    ],
  );
  pool.close();
});
