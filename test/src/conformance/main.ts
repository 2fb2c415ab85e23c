// `npm run conformance [--short] [--protocol text|ps] [--shards N] [--markdown FILE] [test…]`:
// runs the list (or the named tests) direct and through the gateway and prints the table.
// --shards N splits the list over N deployments (each its own MariaDB and gateway) run at once.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CaseResult, type Protocol, runConformance } from './conformance-run.js';
import { countStatuses, formatFailures, formatTable, verdictOf } from './report.js';
import { FULL_LIST, SHORT_LIST } from './test-list.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    short: { type: 'boolean', default: false },
    protocol: { type: 'string', multiple: true },
    markdown: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    shards: { type: 'string', default: '1' },
  },
});

const tests = positionals.length > 0 ? positionals : values.short ? SHORT_LIST : FULL_LIST;
const protocols = (values.protocol ?? ['text', 'ps']) as Protocol[];
const started = Date.now();
console.log(`conformance: ${tests.length} tests × ${protocols.length} protocols, direct and through the gateway`);
const shardCount = Math.max(1, Number(values.shards));
const shards = Array.from({ length: shardCount }, (_, i) => tests.filter((_t, j) => j % shardCount === i));
const onResult = (r: CaseResult): void => {
  const verdict = verdictOf(r);
  console.log(
    `${r.test.padEnd(36)} ${r.protocol.padEnd(4)} direct ${r.direct.status.padEnd(4)} gateway ${r.gateway.status.padEnd(4)} ${verdict === 'same' ? '' : verdict}`,
  );
  if (values.verbose) {
    for (const route of ['direct', 'gateway'] as const) {
      if (r[route].detail) console.log(`  ${route}: ${r[route].detail.split('\n').join('\n    ')}`);
    }
  }
};
// allSettled: a shard that fails must not leave the others' deployments running.
const settled = await Promise.allSettled(shards.map((list) => runConformance({ tests: list, protocols, onResult })));
const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
if (failed) throw failed.reason;
const byShard = settled.map((s) => (s as PromiseFulfilledResult<CaseResult[]>).value);
// Back in the list's order.
const results: CaseResult[] = tests.flatMap((t) => byShard.flat().filter((r) => r.test === t));
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const summary = `${countStatuses(results)} ${minutes} min.`;
console.log(`\n${formatTable(results)}\n\n${summary}\n`);
const failures = results.filter((r) => verdictOf(r) === 'gateway-only failure');
if (values.markdown) {
  writeFileSync(
    values.markdown,
    `${summary}\n\n${formatTable(results)}\n\n## Gateway-only failures\n\n${formatFailures(results)}\n`,
  );
}
console.log(
  failures.length === 0
    ? 'conformance: no gateway-only failure outside the documented policies'
    : formatFailures(results),
);
process.exitCode = failures.length === 0 ? 0 : 1;
