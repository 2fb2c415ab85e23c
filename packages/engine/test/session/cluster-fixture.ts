// A cluster for engine tests: real CAs from the auth package in a temp dir, roles, users and
// locks held in memory, and every audit event kept in an array. Its audit gate stands for the
// spool's write: open by default, or holding every reply until the test releases it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Authorities, initAuthorities, issueDbClientCert, issueUserCert } from '@gatehouse/auth';
import type { AuditEvent, Lock, Role, User } from '@gatehouse/common';
import type { EngineDrain } from '@gatehouse/common/cluster';
import type { ClusterSnapshot, DbClientCert, EngineCluster } from '../../src/index.js';

export interface TestCluster extends EngineCluster {
  readonly authorities: Authorities;
  readonly events: AuditEvent[];
  /** Hold replies as if the audit write had not returned, until releaseAuditWrites(). */
  holdAuditWrites(): void;
  releaseAuditWrites(): void;
  /** Replies waiting for the held write. */
  readonly repliesWaiting: number;
  setRoles(roles: readonly Role[]): void;
  setUsers(users: readonly User[]): void;
  lock(user: string, message: string): void;
  /** Replaces the drain requests (`gatectl engine drain`) in the state. */
  setDrains(drains: readonly EngineDrain[]): void;
  issueUser(options: {
    user: string;
    roles: readonly string[];
    dbService: string;
    dbUser?: string;
    dbName?: string;
    dbRole?: string;
    ttlMs?: number;
  }): Promise<Buffer>;
}

export function makeRole(name: string, spec: Partial<Omit<Role, 'kind' | 'name'>>): Role {
  return { kind: 'role', name, ...spec };
}

export function makeUser(name: string, roles: readonly string[]): User {
  const now = new Date().toISOString();
  return { name, roles: [...roles], traits: {}, created: now, updated: now };
}

export async function createTestCluster(
  t: TestContext,
  signDbClient?: (dbUser: string, notAfter: Date) => Promise<DbClientCert>,
): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-engine-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { authorities } = await initAuthorities(dir);
  let version = 0;
  let roles = new Map<string, Role>();
  let users = new Map<string, User>();
  const locks = new Map<string, Lock>();
  let drains: readonly EngineDrain[] = [];
  const listeners = new Set<(s: ClusterSnapshot) => void>();
  const events: AuditEvent[] = [];
  let emitted = 0;
  let holding = false;
  let waiting: Array<() => void> = [];
  const snapshot = (): ClusterSnapshot => ({
    version: String(version),
    userCas: authorities.trustedCas('user'),
    roles,
    users,
    locks,
    drains,
  });
  const changed = (): void => {
    version++;
    const s = snapshot();
    for (const l of listeners) l(s);
  };
  return {
    authorities,
    events,
    auditSink: {
      emit: (event) => {
        events.push(event);
        emitted++;
      },
    },
    auditGate: {
      get emitted() {
        return emitted;
      },
      afterWrite(done) {
        if (holding) waiting.push(done);
        else done();
      },
    },
    holdAuditWrites() {
      holding = true;
    },
    releaseAuditWrites() {
      holding = false;
      const all = waiting;
      waiting = [];
      for (const done of all) done();
    },
    get repliesWaiting() {
      return waiting.length;
    },
    snapshot: async () => snapshot(),
    refresh: async () => snapshot(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async signDbClient(request) {
      if (signDbClient) return signDbClient(request.dbUser, request.notAfter);
      const issued = await issueDbClientCert(await authorities.signer('db-client'), request);
      return { certificate: issued.certificate, privateKey: issued.privateKey, notAfter: issued.notAfter };
    },
    async close() {},
    setRoles(list) {
      roles = new Map(list.map((r) => [r.name, r]));
      changed();
    },
    setUsers(list) {
      users = new Map(list.map((u) => [u.name, u]));
      changed();
    },
    setDrains(list) {
      drains = [...list];
      changed();
    },
    lock(user, message) {
      locks.set(user, { target: { user }, message, created: new Date().toISOString() });
      changed();
    },
    async issueUser(options) {
      const issued = await issueUserCert(await authorities.signer('user'), {
        user: options.user,
        roles: options.roles,
        dbService: options.dbService,
        ...(options.dbUser !== undefined ? { dbUser: options.dbUser } : {}),
        ...(options.dbName !== undefined ? { dbName: options.dbName } : {}),
        ...(options.dbRole !== undefined ? { dbRole: options.dbRole } : {}),
        dbUsers: [],
        dbNames: [],
        ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
      });
      return Buffer.from(issued.cert.rawData);
    },
  };
}
