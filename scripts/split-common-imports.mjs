// `node scripts/split-common-imports.mjs [files…]`: moves imports of names that left
// @gatehouse/common to the package that now holds them (@gatehouse/mysql-protocol,
// @gatehouse/tunnel, @gatehouse/testing) or to one of common's sub-paths (cluster, metrics,
// proxy-protocol). For merging branches written before the split; with no arguments it rewrites
// every .ts file under packages/*/{src,test}, test/src and bench.
// Plain Node with no dependencies; reads the packages' index files to know the names.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './ensure-deps.mjs';

/** Names an index file exports, from its `export { … } from` and `export type { … } from` lists. */
function exportedNames(file) {
  const names = new Set();
  for (const m of readFileSync(file, 'utf8').matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop();
      if (name) names.add(name);
    }
  }
  return names;
}

const moves = [
  { from: '@gatehouse/common', to: '@gatehouse/mysql-protocol', names: exportedNames(join(ROOT, 'packages/mysql-protocol/src/index.ts')) },
  { from: '@gatehouse/common', to: '@gatehouse/tunnel', names: exportedNames(join(ROOT, 'packages/tunnel/src/index.ts')) },
  { from: '@gatehouse/common/testing', to: '@gatehouse/testing', names: exportedNames(join(ROOT, 'packages/testing/src/index.ts')) },
  ...['cluster', 'metrics', 'proxy-protocol'].map((area) => ({
    from: '@gatehouse/common',
    to: `@gatehouse/common/${area}`,
    names: exportedNames(join(ROOT, `packages/common/src/${area}/index.ts`)),
  })),
];
const common = exportedNames(join(ROOT, 'packages/common/src/index.ts'));

const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)';\n/g;
const nameOf = (spec) => spec.replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim();

function format(typeOnly, specs, module) {
  let kw = typeOnly ? 'type ' : '';
  let list = specs;
  if (!typeOnly && specs.every((s) => s.startsWith('type '))) {
    kw = 'type ';
    list = specs.map((s) => s.slice(5));
  }
  const one = `import ${kw}{ ${list.join(', ')} } from '${module}';\n`;
  return one.length <= 121 ? one : `import ${kw}{\n${list.map((s) => `  ${s},\n`).join('')}} from '${module}';\n`;
}

function rewrite(file) {
  const text = readFileSync(file, 'utf8');
  let changed = false;
  const out = text.replace(IMPORT, (whole, typeKw, body, module) => {
    const specs = body.split(',').map((s) => s.trim()).filter(Boolean);
    const groups = new Map();
    const kept = [];
    for (const spec of specs) {
      const move = moves.find((m) => m.from === module && m.names.has(nameOf(spec)) && !(module === '@gatehouse/common' && common.has(nameOf(spec))));
      if (move === undefined) kept.push(spec);
      else groups.set(move.to, [...(groups.get(move.to) ?? []), spec]);
    }
    if (groups.size === 0) return whole;
    changed = true;
    let result = kept.length > 0 ? format(Boolean(typeKw), kept, module) : '';
    for (const [to, moved] of groups) result += format(Boolean(typeKw), moved, to);
    return result;
  });
  if (changed) {
    writeFileSync(file, out);
    console.log(`rewrote ${relative(ROOT, file)}`);
  }
}

function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const files = process.argv.slice(2);
const targets =
  files.length > 0
    ? files
    : [
        ...readdirSync(join(ROOT, 'packages')).flatMap((p) => [...walk(join(ROOT, 'packages', p, 'src')), ...walk(join(ROOT, 'packages', p, 'test'))]),
        ...walk(join(ROOT, 'test', 'src')),
        ...walk(join(ROOT, 'bench')),
      ];
for (const file of targets) rewrite(file);
console.log('gatehouse: imports split; add the new packages to package.json dependencies and tsconfig references where a package now imports them.');
