// What a SQL text names, read with a MariaDB-dialect parser (node-sql-parser's mariadb build;
// docs/rbac-and-store.md says why this one): per statement, its class and every schema-bearing
// name (tables and views, routines, GRANT/REVOKE targets, USE). The analysis depends on the text
// only, so it can be cached by text; the current schema is applied when a session decides.
import { createRequire } from 'node:module';
import { DDL_VERBS, isStatementObject } from '@gatehouse/common';
import { exposeExecutableComments } from './executable-comments.js';
import { readLeadingWords } from './leading-words.js';
import { recognizeStatement } from './recognized-statements.js';
import { unquoteUserVariables } from './user-variables.js';

type ParserModule = typeof import('node-sql-parser/build/mariadb.js');
const { Parser } = createRequire(import.meta.url)('node-sql-parser/build/mariadb.js') as ParserModule;
const parser = new Parser();
const PARSE_OPTIONS = { database: 'MariaDB' } as const;

/** A name with a schema part (null: unqualified, the current schema applies). */
export interface NamedObject {
  readonly schema: string | null;
  readonly name: string;
  /** 'schema': USE; 'database': a schema by itself (SHOW TABLES FROM db); 'object': a trigger or event. */
  readonly kind: 'table' | 'routine' | 'grant' | 'schema' | 'database' | 'object';
}

export interface StatementFacts {
  /** The class and, for DDL, the two-word class ('drop', 'drop table'). */
  readonly classes: readonly string[];
  readonly objects: readonly NamedObject[];
  /** USE: the schema it selects (checked, then current for the statements after it). */
  readonly use: string | undefined;
}

export type SqlAnalysis =
  | { readonly kind: 'parsed'; readonly statements: readonly StatementFacts[] }
  /** `classes`: the first statement's class read from its leading keywords. */
  | { readonly kind: 'unparsed'; readonly classes: readonly string[]; readonly reason: string };

type Node = Record<string, unknown>;

/** A name the parser gave in a form this reader does not know: the statement is not trusted. */
class UnreadableName extends Error {}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/** Every table-like reference ({db, table}), routine call (schema.f()) and CTE name under `root`. */
function collect(root: unknown, out: NamedObject[], ctes: Set<string>): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    if (!isNode(v)) continue;
    if ('db' in v && 'table' in v) {
      if (typeof v.table !== 'string' || (v.db !== null && typeof v.db !== 'string')) throw new UnreadableName('table');
      out.push({ schema: (v.db as string | null) || null, name: v.table, kind: 'table' });
    }
    if (v.type === 'function' && isNode(v.name)) {
      const schema = isNode(v.name.schema) ? v.name.schema.value : undefined;
      if (isNode(v.name.schema) && typeof schema !== 'string') throw new UnreadableName('routine');
      const parts = Array.isArray(v.name.name) ? (v.name.name as Node[]) : [];
      const name = parts.map((p) => String(p.value)).join('.');
      // Unqualified built-ins (COUNT, NOW) name no schema; only schema.f() is a routine reference here.
      if (typeof schema === 'string') out.push({ schema, name, kind: 'routine' });
    }
    if (Array.isArray(v.with)) {
      for (const cte of v.with as Node[]) {
        const name = isNode(cte.name) ? cte.name.value : undefined;
        if (typeof name === 'string') ctes.add(name);
      }
    }
    for (const key in v) {
      const child = v[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}

function classesOf(ast: Node): string[] {
  const type = String(ast.type ?? 'other').toLowerCase();
  switch (type) {
    case 'select': {
      const into = isNode(ast.into) ? String(ast.into.keyword ?? '').toLowerCase() : '';
      return into === 'outfile' || into === 'dumpfile' ? ['outfile'] : ['select'];
    }
    case 'desc':
      return ['explain'];
    case 'load_data':
      return ['load'];
    default: {
      if (!DDL_VERBS.has(type)) return [type];
      const object = String(ast.keyword ?? '').toLowerCase();
      return isStatementObject(object) ? [type, `${type} ${object}`] : [type];
    }
  }
}

function factsOf(ast: Node): StatementFacts {
  const objects: NamedObject[] = [];
  const ctes = new Set<string>();
  if (ast.type === 'call' && isNode(ast.expr) && isNode(ast.expr.name) && !isNode(ast.expr.name.schema)) {
    // CALL p() runs the current schema's p: an unqualified routine still names a schema.
    const parts = Array.isArray(ast.expr.name.name) ? (ast.expr.name.name as Node[]) : [];
    objects.push({ schema: null, name: parts.map((p) => String(p.value)).join('.'), kind: 'routine' });
  }
  if (ast.type === 'desc' && typeof ast.table === 'string') {
    // DESCRIBE t: the parser reads only the unqualified form, as a bare string.
    objects.push({ schema: null, name: ast.table, kind: 'table' });
  }
  if ((ast.type === 'grant' || ast.type === 'revoke') && isNode(ast.on)) {
    for (const level of (ast.on.priv_level as Node[] | undefined) ?? []) {
      const prefix = typeof level.prefix === 'string' && level.prefix.length > 0 ? level.prefix : null;
      objects.push({ schema: prefix, name: String(level.name ?? '*'), kind: 'grant' });
    }
  }
  collect(ast, objects, ctes);
  // A CTE's name read back unqualified is not a table of the current schema.
  const named = ctes.size === 0 ? objects : objects.filter((o) => o.schema !== null || !ctes.has(o.name));
  if (ast.type === 'use' && typeof ast.db !== 'string') throw new UnreadableName('use');
  const use = ast.type === 'use' ? (ast.db as string) : undefined;
  return { classes: classesOf(ast), objects: named, use };
}

function parse(text: string): unknown {
  try {
    return parser.astify(text, PARSE_OPTIONS);
  } catch (err) {
    return err instanceof Error ? err : new Error('unreadable');
  }
}

function unparsed(sql: string, reason: string): SqlAnalysis {
  return { kind: 'unparsed', classes: readLeadingWords(sql), reason };
}

/**
 * A fixed form the parser does not know (SET NAMES, SHOW TABLES FROM db, …), read by the
 * recognizer, which answers only for texts it reads to their end. CREATE TABLE t SELECT …: the
 * recognizer reads the head and the parser the SELECT, which must be one plain SELECT.
 */
function recognized(sql: string, exposed: string): SqlAnalysis | undefined {
  const statement = recognizeStatement(exposed);
  if (statement === undefined) return undefined;
  const objects = [...statement.objects];
  if (statement.select !== undefined) {
    const ast = parse(statement.select);
    const list = Array.isArray(ast) ? ast : [ast];
    if (list.length !== 1 || !isNode(list[0]) || list[0].type !== 'select') return undefined;
    const facts = factsOf(list[0]);
    if (facts.classes.length !== 1 || facts.classes[0] !== 'select') return undefined;
    objects.push(...facts.objects);
  }
  return { kind: 'parsed', statements: [{ classes: readLeadingWords(sql), objects, use: undefined }] };
}

export function analyzeSql(sql: string): SqlAnalysis {
  const exposed = exposeExecutableComments(sql);
  let ast = parse(exposed);
  if (ast instanceof Error) {
    const bare = unquoteUserVariables(exposed);
    if (bare !== exposed) {
      const second = parse(bare);
      if (!(second instanceof Error)) ast = second;
    }
  }
  try {
    if (ast instanceof Error) {
      return recognized(sql, exposed) ?? unparsed(sql, ast.message.split('\n')[0]!.slice(0, 200));
    }
    const list = (Array.isArray(ast) ? ast : [ast]).filter(isNode);
    if (list.length === 0) return unparsed(sql, 'no statement');
    return { kind: 'parsed', statements: list.map(factsOf) };
  } catch (err) {
    if (!(err instanceof UnreadableName)) throw err;
    return unparsed(sql, `a ${err.message} name in an unexpected form`);
  }
}
