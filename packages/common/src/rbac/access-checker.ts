// Role-based access decisions, exactly as DESIGN.md's "Roles" section: access is granted when
// an allow rule of some role matches labels, db user and db name, and no deny rule matches any
// one of them. Every denial explains itself so the proxy and engine can show and audit it.
import { type CompiledRole, compileRole, expandPatterns, matchesAny, matchesLabels } from './compile-role.js';
import { compileGlob, type Matcher } from './glob.js';
import type { Role, Traits } from './schemas.js';

export interface DatabaseTarget {
  /** The db service name, e.g. "prod-db". */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface AccessRequest {
  readonly db: DatabaseTarget;
  readonly dbUser: string;
  /** The schema; empty or absent when the client selected none (checked again on USE). */
  readonly dbName?: string | undefined;
}

export type AccessDecision =
  | {
      readonly allowed: true;
      /** The roles whose allow rule matched. */
      readonly roles: readonly string[];
      readonly allowReplication: boolean;
      readonly allowLocalInfile: boolean;
    }
  | { readonly allowed: false; readonly reason: string; readonly role?: string };

export interface SessionOptions {
  /** The minimum over the user's roles; undefined when no role sets one. */
  readonly maxSessionTtlMs: number | undefined;
  readonly clientIdleTimeoutMs: number | undefined;
  /** True when any role asks for it. */
  readonly disconnectExpiredCert: boolean;
}

export interface AccessSubject {
  readonly roles: readonly Role[];
  readonly traits: Traits;
  /** The person; a create_db_user role allows exactly this db user (their own automatic one). */
  readonly user?: string;
}

export interface AccessChecker {
  readonly sessionOptions: SessionOptions;
  checkAccess(request: AccessRequest): AccessDecision;
  /** Re-check for COM_INIT_DB / USE: the same rules with the new schema name. */
  checkDbName(request: AccessRequest & { readonly dbName: string }): AccessDecision;
}

interface ExpandedRole {
  readonly compiled: CompiledRole;
  readonly allowUsers: readonly Matcher[] | undefined;
  readonly allowNames: readonly Matcher[] | undefined;
  readonly denyUsers: readonly Matcher[] | undefined;
  readonly denyNames: readonly Matcher[] | undefined;
}

/** Takes the minimum of the defined values. */
function minDefined(values: readonly (number | undefined)[]): number | undefined {
  let out: number | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v < out)) out = v;
  return out;
}

/** The session limits that follow from a set of roles (max_session_ttl caps certificate TTLs). */
export function computeSessionOptions(roles: readonly Role[]): SessionOptions {
  const compiled = roles.map(compileRole);
  return {
    maxSessionTtlMs: minDefined(compiled.map((c) => c.maxSessionTtlMs)),
    clientIdleTimeoutMs: minDefined(compiled.map((c) => c.clientIdleTimeoutMs)),
    disconnectExpiredCert: compiled.some((c) => c.disconnectExpiredCert),
  };
}

export function describeDatabase(db: DatabaseTarget): string {
  const keys = Object.keys(db.labels).sort();
  const labels = keys.length === 0 ? 'no labels' : `labels ${keys.map((k) => `${k}=${db.labels[k]}`).join(', ')}`;
  return `database '${db.name}' (${labels})`;
}

function listRoles(names: readonly string[]): string {
  return names.length === 1 ? `role '${names[0]}' does` : `roles ${names.map((n) => `'${n}'`).join(', ')} do`;
}

function evaluate(roles: readonly ExpandedRole[], request: AccessRequest): AccessDecision {
  const { db, dbUser } = request;
  const dbName = request.dbName ?? '';
  const checkName = dbName.length > 0;

  // Deny wins: any single matching deny field refuses the session.
  for (const r of roles) {
    const { name, deny } = r.compiled;
    if (matchesLabels(deny.labels, db.labels)) {
      return { allowed: false, role: name, reason: `role '${name}' denies ${describeDatabase(db)}` };
    }
    if (matchesAny(r.denyUsers, dbUser)) {
      return { allowed: false, role: name, reason: `role '${name}' denies db user '${dbUser}'` };
    }
    if (checkName && matchesAny(r.denyNames, dbName)) {
      return { allowed: false, role: name, reason: `role '${name}' denies db name '${dbName}'` };
    }
  }

  const granting: string[] = [];
  const labelRoles: string[] = [];
  const userRoles: string[] = [];
  let allowReplication = false;
  let allowLocalInfile = false;
  for (const r of roles) {
    if (!matchesLabels(r.compiled.allow.labels, db.labels)) continue;
    labelRoles.push(r.compiled.name);
    if (!matchesAny(r.allowUsers, dbUser)) continue;
    userRoles.push(r.compiled.name);
    if (checkName && !matchesAny(r.allowNames, dbName)) continue;
    granting.push(r.compiled.name);
    allowReplication ||= r.compiled.allowReplication;
    allowLocalInfile ||= r.compiled.allowLocalInfile;
  }
  if (granting.length > 0) return { allowed: true, roles: granting, allowReplication, allowLocalInfile };
  if (labelRoles.length === 0) return { allowed: false, reason: `no role allows ${describeDatabase(db)}` };
  if (userRoles.length === 0) {
    return { allowed: false, reason: `${listRoles(labelRoles)} not allow db user '${dbUser}'` };
  }
  return { allowed: false, reason: `${listRoles(userRoles)} not allow db name '${dbName}' for db user '${dbUser}'` };
}

/** A create_db_user role's one db user: the person's name (an ObjectName, so never a glob). */
function ownDbUser(user: string | undefined): readonly Matcher[] | undefined {
  return user === undefined || user.includes('*') ? undefined : [compileGlob(user)];
}

/**
 * Builds a checker for one user: roles are compiled (cached per role object) and templates
 * filled from the traits once, so each check is a few matcher calls.
 */
export function createAccessChecker(subject: AccessSubject): AccessChecker {
  const roles: ExpandedRole[] = subject.roles.map((role) => {
    const compiled = compileRole(role);
    return {
      compiled,
      allowUsers: compiled.createDbUser
        ? ownDbUser(subject.user)
        : expandPatterns(compiled.allow.users, subject.traits),
      allowNames: expandPatterns(compiled.allow.names, subject.traits),
      denyUsers: expandPatterns(compiled.deny.users, subject.traits),
      denyNames: expandPatterns(compiled.deny.names, subject.traits),
    };
  });
  return {
    sessionOptions: computeSessionOptions(subject.roles),
    checkAccess: (request) => evaluate(roles, request),
    checkDbName: (request) => evaluate(roles, request),
  };
}

/** One-shot form of createAccessChecker(subject).checkAccess(request). */
export function checkAccess(subject: AccessSubject, request: AccessRequest): AccessDecision {
  return createAccessChecker(subject).checkAccess(request);
}

/** One-shot COM_INIT_DB / USE re-check. */
export function checkDbName(
  subject: AccessSubject,
  request: AccessRequest & { readonly dbName: string },
): AccessDecision {
  return createAccessChecker(subject).checkDbName(request);
}
