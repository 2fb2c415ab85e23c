// The conformance runner's short list (see docs/conformance.md): MariaDB's own tests, each run
// direct and through the gateway in the text and binary protocols. Every test that passes direct
// must pass through the gateway, except the documented policies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConformance } from './conformance/conformance-run.js';
import { GATEWAY_POLICIES } from './conformance/policies.js';
import { verdictOf } from './conformance/report.js';
import { SHORT_LIST } from './conformance/test-list.js';

// mtr's own runs take their time on a loaded machine: more than the runner's 5-minute default.
test('MariaDB suite short list: what passes direct passes through the gateway', { timeout: 900_000 }, async () => {
  const results = await runConformance({ tests: SHORT_LIST });
  assert.equal(results.length, SHORT_LIST.length * 2);
  // The runner really ran the tests: most of the list passes direct on a stock server.
  const passedDirect = results.filter((r) => r.direct.status === 'pass');
  assert.ok(
    passedDirect.length >= results.length / 2,
    `only ${passedDirect.length} of ${results.length} passed direct`,
  );
  const gatewayOnly = results
    .filter((r) => verdictOf(r) === 'gateway-only failure')
    .map((r) => `main.${r.test} (${r.protocol}):\n${r.gateway.detail}`);
  assert.deepEqual(
    gatewayOnly,
    [],
    `fails only through the gateway (not a policy in ${Object.keys(GATEWAY_POLICIES).length} documented)`,
  );
  // No test leaves state the runner cannot remove, so one test cannot break the next.
  const unrestored = results.filter((r) => r.state.direct.unrestored || r.state.gateway.unrestored).map((r) => r.test);
  assert.deepEqual(unrestored, []);
});
