import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig, parseConfig } from '../../src/config/index.js';

const dir = fileURLToPath(new URL('../../../../../deploy/scale-out/', import.meta.url));

test('deploy/scale-out: both proxies share one postgres store and differ in name and tunnel address', async () => {
  const [a, b] = await Promise.all([loadConfig(`${dir}proxy-a.yaml`), loadConfig(`${dir}proxy-b.yaml`)]);
  for (const c of [a, b]) {
    assert.equal(c.storage.backend, 'postgres');
    assert.equal(c.proxy.enabled && c.auth.enabled, true);
    assert.equal(c.audit.retention, 90 * 86_400_000);
  }
  assert.equal(a.storage.url, b.storage.url);
  assert.notEqual(a.proxy.name, b.proxy.name);
  assert.notEqual(a.proxy.tunnel_public_addr, b.proxy.tunnel_public_addr);
  const admin = await loadConfig(`${dir}admin.yaml`);
  assert.equal(admin.storage.url, a.storage.url);
});

test('deploy/scale-out: the engine template is valid once its placeholders are filled', () => {
  const text = readFileSync(`${dir}engine.yaml.in`, 'utf8')
    .replace('@ENGINE_NAME@', 'engine-0')
    .replace('@JOIN_TOKEN@', 'a'.repeat(64))
    .replace('@CA_PIN@', `sha256:${'b'.repeat(64)}`);
  const config = parseConfig(parse(text), 'engine.yaml');
  assert.equal(config.engine.enabled, true);
  assert.equal(config.engine.proxy_addr, 'lb:3080');
});

test('storage: the postgres backend needs a url and exactly one key source', () => {
  assert.throws(() => parseConfig({ storage: { backend: 'postgres', encryption_key_env: 'K' } }), /storage\.url/);
  assert.throws(() => parseConfig({ storage: { backend: 'postgres', url: 'postgres://h/db' } }), /encryption_key_file/);
  assert.throws(() => parseConfig({ storage: { backend: 'file', extra: 1 } }), /extra/);
  assert.equal(parseConfig({}).storage.backend, 'file');
});
