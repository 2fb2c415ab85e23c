import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.js';

const deployDir = fileURLToPath(new URL('../../../../../deploy/', import.meta.url));
const examples = readdirSync(deployDir).filter((f) => f.endsWith('.yaml'));

test('deploy/ has an example for each shape', () => {
  assert.deepEqual(examples.sort(), ['engine.yaml', 'gatehouse.yaml', 'proxy.yaml']);
});

for (const file of examples) {
  test(`deploy/${file} is a valid config`, async () => {
    const config = await loadConfig(`${deployDir}${file}`);
    assert.equal(config.version, 'v1');
    assert.ok(config.proxy.enabled || config.engine.enabled, 'runs at least one part');
  });
}
