// What a session's roles say about each statement, beyond the connect-time decision: whether
// every schema a statement names must pass db_names, which statement classes are allowed or
// denied, which tables are denied, and what to do with a statement the parser cannot read.
// Compiled once per session; `undefined` when the roles ask for nothing, so such sessions never
// parse SQL. docs/rbac-and-store.md, "Statement checks" and "Statement rules".
import { compileGlob, type Matcher } from './glob.js';
import type { Role } from './schemas.js';

export interface StatementRules {
  /** Some role restricts db_names: every schema a statement names is checked (checkDbName). */
  readonly checkNames: boolean;
  /** What to do with text the parser cannot read. */
  readonly unparsed: 'deny' | 'allow';
  /** The roles that set or defaulted `unparsed`, for the ERR. */
  readonly unparsedRoles: readonly string[];
  /** Why a statement of these classes is refused (naming the role and its rule), or undefined. */
  checkClasses(classes: readonly string[]): string | undefined;
  /** Why a statement naming `schema.table` is refused, or undefined. */
  checkTable(schema: string, table: string): string | undefined;
}

interface DenyTable {
  readonly role: string;
  readonly pattern: string;
  readonly match: Matcher;
}

function restrictsNames(role: Role): boolean {
  if ((role.deny?.db_names?.length ?? 0) > 0) return true;
  const allow = role.allow?.db_names;
  // A role that grants no db name grants nothing to check against; '*' is everything.
  return allow !== undefined && !allow.includes('*');
}

/**
 * `roles`: every role the user holds (deny rules hold whichever role granted the session);
 * `granting`: the names of the roles whose allow rule granted it (their allow.statements apply).
 */
export function createStatementRules(roles: readonly Role[], granting: readonly string[]): StatementRules | undefined {
  const grantingRoles = roles.filter((r) => granting.includes(r.name));
  const grantsAllNames = grantingRoles.some((r) => r.allow?.db_names?.includes('*') === true);
  const checkNames =
    roles.some((r) => (r.deny?.db_names?.length ?? 0) > 0) || (!grantsAllNames && roles.some(restrictsNames));

  // allow.statements: a granting role without the rule allows every class.
  let allowed: Map<string, string> | undefined = new Map();
  for (const r of grantingRoles) {
    const list = r.allow?.statements;
    if (list === undefined) {
      allowed = undefined;
      break;
    }
    for (const entry of list) if (!allowed.has(entry)) allowed.set(entry, r.name);
  }
  if (allowed !== undefined && allowed.size === 0) allowed = undefined;
  const denied = new Map<string, string>();
  const deniedTables: DenyTable[] = [];
  for (const r of roles) {
    for (const entry of r.deny?.statements ?? []) if (!denied.has(entry)) denied.set(entry, r.name);
    for (const pattern of r.deny?.tables ?? [])
      deniedTables.push({ role: r.name, pattern, match: compileGlob(pattern) });
  }
  if (!checkNames && allowed === undefined && denied.size === 0 && deniedTables.length === 0) return undefined;

  const unparsedSay = roles.map((r) => [r.name, r.options?.unparsed_statements] as const);
  const allowUnparsed = unparsedSay.some(([, v]) => v === 'allow') && !unparsedSay.some(([, v]) => v === 'deny');
  const unparsedRoles = unparsedSay.filter(([, v]) => (allowUnparsed ? v === 'allow' : v !== 'allow')).map(([n]) => n);
  const allowedList = allowed === undefined ? '' : [...allowed.keys()].join(', ');
  const allowedRoles = allowed === undefined ? '' : [...new Set(allowed.values())].map((n) => `'${n}'`).join(', ');

  return {
    checkNames,
    unparsed: allowUnparsed ? 'allow' : 'deny',
    unparsedRoles,
    checkClasses(classes) {
      for (const c of classes) {
        const role = denied.get(c);
        if (role !== undefined) return `role '${role}' denies statements '${c}' (deny.statements)`;
      }
      if (allowed === undefined) return undefined;
      for (const c of classes) if (allowed.has(c)) return undefined;
      const roleWord = allowedRoles.includes(',') ? 'roles' : 'role';
      return `${roleWord} ${allowedRoles} allow only statements ${allowedList} (allow.statements), not '${classes[classes.length - 1] ?? 'other'}'`;
    },
    checkTable(schema, table) {
      if (deniedTables.length === 0) return undefined;
      const name = `${schema}.${table}`;
      for (const t of deniedTables) {
        if (t.match(name)) return `role '${t.role}' denies table '${name}' (deny.tables '${t.pattern}')`;
      }
      return undefined;
    },
  };
}
