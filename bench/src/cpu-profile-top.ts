// `node bench/dist/src/cpu-profile-top.js FILE.cpuprofile [N]`: the top N functions of a
// `node --cpu-prof` profile by self time, as a Markdown table (docs/performance.md quotes it).
// Gateway processes run under --cpu-prof with BENCH_GATEHOUSE_NODE_ARGS (bench/src/targets/gatehouse.ts).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function describeFrame(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const file = url.includes('/node_modules/')
    ? url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length)
    : url.includes('/packages/')
      ? url.slice(url.lastIndexOf('/packages/') + 1)
      : url.startsWith('node:')
        ? url
        : basename(url);
  return `${name} ${file}:${lineNumber + 1}`;
}

function main(): void {
  const [file, countText] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: cpu-profile-top FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] as number);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    totalUs += dt;
    const key = describeFrame(node);
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  }
  const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(countText ?? 25));
  process.stdout.write(
    `${basename(file)}: busy ${(totalUs / 1e6).toFixed(2)} s, idle ${(idleUs / 1e6).toFixed(2)} s\n\n`,
  );
  process.stdout.write('| self % | self ms | function |\n|---:|---:|---|\n');
  for (const [key, us] of top) {
    process.stdout.write(`| ${((100 * us) / totalUs).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${key}\` |\n`);
  }
}

main();
