// Micro-benchmark: the engine's policy decision per COM_QUERY (decideCommand, the one place the
// relay asks), for sysbench's statements with a different literal each time, as a role with
// db_names '*' (no statement checks: nothing is parsed), as a role restricted to one schema
// (every statement checked; the digest cache answers repeats), and the parse alone with no cache
// (what a statement the cache has never seen costs). One core, ns per query.
// Run: npm run bench:statements -w bench
import { createAccessChecker, createStatementRules, type Role, RoleSchema } from '@gatehouse/common';
import { AnalysisCache, analyzeSql, decideCommand, type PolicyContext } from '@gatehouse/engine';
import { Command, parseClientCommand } from '@gatehouse/mysql-protocol';

const database = { name: 'bench', labels: { env: 'bench' } };
const QUERIES = 200_000;
const ROUNDS = 5;

function role(name: string, dbNames: string[]): Role {
  return RoleSchema.parse({
    kind: 'role',
    name,
    allow: { db_labels: { env: 'bench' }, db_users: ['bench'], db_names: dbNames },
  });
}

function context(r: Role, cache: AnalysisCache): PolicyContext {
  const checker = createAccessChecker({ roles: [r], traits: {} });
  const decision = checker.checkAccess({ db: database, dbUser: 'bench', dbName: 'sbtest' });
  if (!decision.allowed) throw new Error(decision.reason);
  const statementRules = createStatementRules([r], decision.roles);
  return {
    user: 'bench',
    database,
    dbUser: 'bench',
    checker,
    allowReplication: false,
    ownsThread: () => true,
    statementRules,
    currentSchema: () => 'sbtest',
    ...(statementRules === undefined ? {} : { analysisCache: cache }),
  } as PolicyContext;
}

/** sysbench oltp_read_write's statements, as COM_QUERY sends them (literals inline). */
function statement(i: number): string {
  const id = (i * 7919) % 100_000;
  switch (i % 6) {
    case 0:
      return `SELECT c FROM sbtest1 WHERE id=${id}`;
    case 1:
      return `SELECT c FROM sbtest1 WHERE id BETWEEN ${id} AND ${id + 99}`;
    case 2:
      return `SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN ${id} AND ${id + 99}`;
    case 3:
      return `UPDATE sbtest1 SET k=k+1 WHERE id=${id}`;
    case 4:
      return `DELETE FROM sbtest1 WHERE id=${id}`;
    default:
      return `INSERT INTO sbtest1 (id, k, c, pad) VALUES (${id}, ${i}, '${id}-${i}-c', '${i}-pad')`;
  }
}

function packets(count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.concat([Buffer.from([Command.Query]), Buffer.from(statement(i))]));
  return out;
}

function timeDecisions(payloads: readonly Buffer[], ctx: PolicyContext): number {
  const started = process.hrtime.bigint();
  let denied = 0;
  for (const payload of payloads) {
    const command = parseClientCommand(payload, { capabilities: 0 });
    if (decideCommand(command, ctx).kind === 'deny') denied++;
  }
  const ns = Number(process.hrtime.bigint() - started) / payloads.length;
  if (denied > 0) throw new Error(`${denied} sysbench statements were refused`);
  return ns;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const payloads = packets(QUERIES);
const cache = new AnalysisCache();
const off = context(role('all', ['*']), cache);
const on = context(role('sbtest-only', ['sbtest']), cache);
const results = { off: [] as number[], on: [] as number[], parse: [] as number[] };
// Warm-up, then alternating rounds so drift hits both sides alike.
timeDecisions(payloads.slice(0, 20_000), off);
timeDecisions(payloads.slice(0, 20_000), on);
for (let r = 0; r < ROUNDS; r++) {
  results.off.push(timeDecisions(payloads, off));
  results.on.push(timeDecisions(payloads, on));
  const sample = payloads.slice(0, 5_000).map((p) => p.toString('utf8', 1));
  const started = process.hrtime.bigint();
  for (const sql of sample) analyzeSql(sql);
  results.parse.push(Number(process.hrtime.bigint() - started) / sample.length);
}
const offNs = median(results.off);
const onNs = median(results.on);
console.log(`statement check, ${QUERIES} sysbench COM_QUERY texts (literals vary), median of ${ROUNDS} rounds:`);
console.log(`  db_names '*' (no check)        ${offNs.toFixed(0)} ns/query`);
console.log(
  `  db_names [sbtest] (checked)    ${onNs.toFixed(0)} ns/query  (+${(onNs - offNs).toFixed(0)} ns, cache hits ${cache.hits}, misses ${cache.misses})`,
);
console.log(`  parse alone, uncached          ${median(results.parse).toFixed(0)} ns/query`);
