// The statement classes role rules name (`allow.statements`, `deny.statements`). A class is the
// statement's first keyword, or that keyword and the object it acts on ('alter user',
// 'create table'); a rule entry with one word covers every form of it. The list is closed so a
// typo in a role is refused when the role is written, not silently never matched.
// docs/rbac-and-store.md, "Statement rules".

/** Classes of one keyword. `outfile` is SELECT … INTO OUTFILE/DUMPFILE, `load` is LOAD DATA/XML. */
export const STATEMENT_VERBS = [
  'select',
  'insert',
  'replace',
  'update',
  'delete',
  'create',
  'alter',
  'drop',
  'truncate',
  'rename',
  'use',
  'show',
  'explain',
  'set',
  'grant',
  'revoke',
  'call',
  'do',
  'lock',
  'unlock',
  'transaction',
  'load',
  'outfile',
  'prepare',
  'execute',
  'deallocate',
  'handler',
  'flush',
  'kill',
  'analyze',
  'optimize',
  'repair',
  'check',
  'checksum',
  'install',
  'uninstall',
  'reset',
  'purge',
  'change',
  'xa',
  'signal',
  'help',
  'binlog',
  'other',
] as const;

/** Objects that make a two-word class after create / alter / drop / rename. */
export const STATEMENT_OBJECTS = [
  'user',
  'role',
  'table',
  'view',
  'database',
  'schema',
  'index',
  'procedure',
  'function',
  'trigger',
  'event',
  'server',
  'sequence',
  'tablespace',
] as const;

const VERBS: ReadonlySet<string> = new Set(STATEMENT_VERBS);
const OBJECTS: ReadonlySet<string> = new Set(STATEMENT_OBJECTS);
/** The verbs that take an object word. */
export const DDL_VERBS: ReadonlySet<string> = new Set(['create', 'alter', 'drop', 'rename']);

export function isStatementVerb(word: string): boolean {
  return VERBS.has(word);
}

export function isStatementObject(word: string): boolean {
  return OBJECTS.has(word);
}

/** Why `entry` is not a statement class, or undefined when it is one. */
export function checkStatementClass(entry: string): string | undefined {
  const words = entry.split(' ');
  const verb = words[0] ?? '';
  if (!VERBS.has(verb)) return `unknown statement class '${entry}' (see docs/rbac-and-store.md, "Statement rules")`;
  if (words.length === 1) return undefined;
  if (words.length === 2 && DDL_VERBS.has(verb) && OBJECTS.has(words[1] ?? '')) return undefined;
  return `unknown statement class '${entry}': two-word classes are create|alter|drop|rename and one of ${STATEMENT_OBJECTS.join(', ')}`;
}
