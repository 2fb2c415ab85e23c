import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, type DatabaseConfig, type ProxyConfig, parseConfig } from '@gatehouse/common';
import type { DatabaseInfo } from '@gatehouse/tunnel';
import { applyReload } from '../../src/service/apply-reload.js';
import { listChangedPaths, planReload } from '../../src/service/reload-plan.js';

const db = (name: string, port: number, env = 'dev') => ({
  name,
  uri: `127.0.0.1:${port}`,
  labels: { env },
  tls: { mode: 'disable' },
});

const base = {
  log: { level: 'info' },
  proxy: { limits: { max_connections: 100, max_connections_per_ip: 10, handshake_timeout: '10s' } },
  engine: { databases: [db('alpha', 3306), db('beta', 3307), db('gamma', 3308)] },
};

test('listChangedPaths names the differing leaves; arrays compare whole', () => {
  assert.deepEqual(listChangedPaths({ a: { b: 1, c: [1] } }, { a: { b: 2, c: [1] } }), ['a.b']);
  assert.deepEqual(listChangedPaths({ a: [1, 2] }, { a: [2, 1], d: true }), ['a', 'd']);
  assert.deepEqual(listChangedPaths({ a: 1 }, { a: 1 }), []);
});

test('an unchanged file plans nothing', () => {
  const plan = planReload(parseConfig(base), parseConfig(base));
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.needsRestart, []);
});

test('live settings become changes, in order; databases are diffed by name', () => {
  const running = parseConfig(base);
  const next = parseConfig({
    ...base,
    log: { level: 'debug' },
    proxy: { limits: { max_connections: 5, max_connections_per_ip: 2, handshake_timeout: '3s' } },
    audit: { query_events: false },
    engine: { databases: [db('alpha', 3306), db('beta', 3399), db('delta', 3310)] },
  });
  const plan = planReload(running, next);
  assert.deepEqual(
    plan.changes.map((c) => c.kind),
    ['log-level', 'proxy-limits', 'query-events', 'databases'],
  );
  const dbs = plan.changes.find((c) => c.kind === 'databases');
  assert.ok(dbs?.kind === 'databases');
  assert.deepEqual(
    { added: dbs.added, removed: dbs.removed, changed: dbs.changed },
    { added: ['delta'], removed: ['gamma'], changed: ['beta'] },
  );
  const limits = plan.changes.find((c) => c.kind === 'proxy-limits');
  assert.ok(limits?.kind === 'proxy-limits');
  assert.equal(limits.limits.handshake_timeout, 3000);
  assert.deepEqual(plan.needsRestart, []);
  assert.equal(plan.effective.log.level, 'debug');
  assert.equal(plan.effective.audit.query_events, false);
});

test('settings that need a restart are listed and kept at their running values', () => {
  const running = parseConfig(base);
  const next = parseConfig({
    ...base,
    data_dir: '/elsewhere',
    proxy: { ...base.proxy, mysql_listen: '127.0.0.1:4000', public_addr: ['db.example.com'] },
    engine: { ...base.engine, enabled: false },
    audit: { query_max_bytes: 1024 },
  });
  const plan = planReload(running, next);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual([...plan.needsRestart].sort(), [
    'audit.query_max_bytes',
    'data_dir',
    'engine.enabled',
    'proxy.mysql_listen',
    'proxy.public_addr',
  ]);
  assert.equal(plan.effective.proxy.mysql_listen, running.proxy.mysql_listen);
  assert.equal(plan.effective.data_dir, running.data_dir);
  assert.equal(plan.effective.engine.enabled, true);
  // A second reload of the same file reports the same pending restart, not a clean slate.
  assert.deepEqual(planReload(plan.effective, next).needsRestart.length, 5);
});

test('live settings of a part this process does not run need no action', () => {
  const running = parseConfig({ ...base, engine: { enabled: false } });
  const next = parseConfig({
    ...base,
    engine: { enabled: false, databases: [db('x', 1)] },
    audit: { query_events: false },
  });
  assert.deepEqual(planReload(running, next).changes, []);
});

test('applyReload sets the root level (children follow), the limits, the switch and the databases, and logs restarts', async () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: 'info', destination });
  const child = log.child({ part: 'engine' });
  const calls: unknown[] = [];
  const proxy = { setLimits: (l: ProxyConfig['limits']) => calls.push(['limits', l.max_connections]) };
  const engine = {
    setQueryEvents: (on: boolean) => calls.push(['queryEvents', on]),
    setDatabases: async (dbs: readonly DatabaseConfig[]): Promise<readonly DatabaseInfo[]> => {
      calls.push(['databases', dbs.map((d) => d.name)]);
      return [];
    },
  };
  const running = parseConfig(base);
  const next = parseConfig({
    ...base,
    log: { level: 'debug' },
    proxy: { ...base.proxy, limits: { ...base.proxy.limits, max_connections: 7 }, web_listen: '127.0.0.1:4001' },
    audit: { query_events: false },
    engine: { databases: [db('alpha', 3306)] },
  });
  const services = { proxy, engine } as unknown as Parameters<typeof applyReload>[0]['services'];
  await applyReload({ log, services }, planReload(running, next));
  assert.equal(child.isLevelEnabled('debug'), true);
  assert.deepEqual(calls, [
    ['limits', 7],
    ['queryEvents', false],
    ['databases', ['alpha']],
  ]);
  const restart = lines.find((l) => l.msg === 'config change needs a restart; ignored until then');
  assert.equal(restart?.path, 'proxy.web_listen');
  const done = lines.find((l) => l.msg === 'config reloaded');
  assert.deepEqual(done?.needsRestart, ['proxy.web_listen']);
});

test('hooks are re-imported on every reload while any are configured, and a changed list is live', () => {
  const withHooks = { ...base, engine: { ...base.engine, hooks: ['/etc/gatehouse/hooks/a.mjs'] } };
  const same = planReload(parseConfig(withHooks), parseConfig(withHooks));
  assert.deepEqual(same.changes, [{ kind: 'hooks', files: ['/etc/gatehouse/hooks/a.mjs'] }]);
  assert.deepEqual(same.needsRestart, []);
  const removed = planReload(parseConfig(withHooks), parseConfig(base));
  assert.deepEqual(removed.changes, [{ kind: 'hooks', files: [] }]);
  assert.deepEqual(removed.needsRestart, []);
  assert.deepEqual(removed.effective.engine.hooks, []);
});
