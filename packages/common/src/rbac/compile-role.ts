// A role compiled once into matchers, so the per-session check does no parsing and no regex
// construction. Templates stay symbolic here and are filled from each user's traits later.
import { parseDuration } from '../duration.js';
import { compileGlob, type Matcher } from './glob.js';
import type { DbLabels, Role, RoleConditions, Traits } from './schemas.js';

export type TraitName = keyof Traits;

interface TemplatePattern {
  readonly trait: TraitName;
  readonly prefix: string;
  readonly suffix: string;
}

export interface CompiledPatterns {
  readonly matchers: readonly Matcher[];
  readonly templates: readonly TemplatePattern[];
}

interface CompiledLabelRule {
  readonly key: string;
  readonly values: readonly Matcher[];
}

export interface CompiledLabels {
  /** `{ '*': '*' }`: every database, whatever its labels. */
  readonly matchAll: boolean;
  readonly rules: readonly CompiledLabelRule[];
}

/** Absent fields match nothing: an allow without db_users grants no db user, a deny without it denies none. */
export interface CompiledConditions {
  readonly labels: CompiledLabels | undefined;
  readonly users: CompiledPatterns | undefined;
  readonly names: CompiledPatterns | undefined;
}

export interface CompiledRole {
  readonly role: Role;
  readonly name: string;
  readonly allow: CompiledConditions;
  readonly deny: CompiledConditions;
  readonly maxSessionTtlMs: number | undefined;
  readonly clientIdleTimeoutMs: number | undefined;
  readonly disconnectExpiredCert: boolean;
  readonly allowReplication: boolean;
  readonly allowLocalInfile: boolean;
  /** options.create_db_user: the role grants only the person's own automatic database user. */
  readonly createDbUser: boolean;
}

const TEMPLATE = /^(.*?)\{\{\s*internal\.(db_users|db_names)\s*\}\}(.*)$/s;

function compilePatterns(patterns: readonly string[] | undefined): CompiledPatterns | undefined {
  if (patterns === undefined) return undefined;
  const matchers: Matcher[] = [];
  const templates: TemplatePattern[] = [];
  for (const pattern of patterns) {
    const m = TEMPLATE.exec(pattern);
    if (m) templates.push({ prefix: m[1] ?? '', trait: m[2] as TraitName, suffix: m[3] ?? '' });
    else matchers.push(compileGlob(pattern));
  }
  return { matchers, templates };
}

function compileLabels(labels: DbLabels | undefined): CompiledLabels | undefined {
  if (labels === undefined) return undefined;
  let matchAll = false;
  const rules: CompiledLabelRule[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const values = typeof value === 'string' ? [value] : value;
    if (key === '*') {
      matchAll = true;
      continue;
    }
    rules.push({ key, values: values.map(compileGlob) });
  }
  return { matchAll, rules };
}

function compileConditions(conditions: RoleConditions | undefined): CompiledConditions {
  return {
    labels: compileLabels(conditions?.db_labels),
    users: compilePatterns(conditions?.db_users),
    names: compilePatterns(conditions?.db_names),
  };
}

const compiled = new WeakMap<Role, CompiledRole>();

/** Compiles a validated role; the result is cached per role object. */
export function compileRole(role: Role): CompiledRole {
  let c = compiled.get(role);
  if (c === undefined) {
    const options = role.options ?? {};
    c = {
      role,
      name: role.name,
      allow: compileConditions(role.allow),
      deny: compileConditions(role.deny),
      maxSessionTtlMs: options.max_session_ttl === undefined ? undefined : parseDuration(options.max_session_ttl),
      clientIdleTimeoutMs:
        options.client_idle_timeout === undefined ? undefined : parseDuration(options.client_idle_timeout),
      disconnectExpiredCert: options.disconnect_expired_cert === true,
      allowReplication: options.allow_replication === true,
      allowLocalInfile: options.allow_local_infile === true,
      createDbUser: options.create_db_user === true,
    };
    compiled.set(role, c);
  }
  return c;
}

/** Fills a role's templates from one user's traits; the result is a flat list of matchers. */
export function expandPatterns(patterns: CompiledPatterns | undefined, traits: Traits): readonly Matcher[] | undefined {
  if (patterns === undefined) return undefined;
  if (patterns.templates.length === 0) return patterns.matchers;
  const out = [...patterns.matchers];
  for (const t of patterns.templates) {
    // Trait values are set by administrators, so they may be globs like any role entry.
    for (const value of traits[t.trait] ?? []) out.push(compileGlob(`${t.prefix}${value}${t.suffix}`));
  }
  return out;
}

export function matchesLabels(labels: CompiledLabels | undefined, dbLabels: Readonly<Record<string, string>>): boolean {
  if (labels === undefined) return false;
  if (labels.matchAll) return true;
  if (labels.rules.length === 0) return false;
  for (const rule of labels.rules) {
    const value = dbLabels[rule.key];
    if (value === undefined || !rule.values.some((m) => m(value))) return false;
  }
  return true;
}

export function matchesAny(matchers: readonly Matcher[] | undefined, value: string): boolean {
  if (matchers === undefined) return false;
  for (const m of matchers) if (m(value)) return true;
  return false;
}
