// What an engine needs from the cluster: the state the auth part owns (user CAs, roles, users,
// locks), ephemeral db-client certificates, and a sink for audit events. Two implementations:
// in-process (the embedded default wraps the auth objects) and over the tunnel (control
// requests to the proxy). Sessions see only this interface.
import type { AuditSink, AuditWriteGate, Lock, Role, TrustedCa, User } from '@gatehouse/common';
import type { ProxyTunnel } from '@gatehouse/common/cluster';
import type { SpoolMetrics } from '../audit/spool-pipeline.js';

/** A consistent view of the cluster state at one version. */
export interface ClusterSnapshot {
  readonly version: string;
  /** The user CAs to trust: the active one and, during a rotation, the previous one. */
  readonly userCas: readonly TrustedCa[];
  readonly roles: ReadonlyMap<string, Role>;
  readonly users: ReadonlyMap<string, User>;
  /** Locks by user name; a lock whose `expires` has passed no longer applies. */
  readonly locks: ReadonlyMap<string, Lock>;
  /** The live proxies, when several share the store: the engine keeps a tunnel to each. */
  readonly proxies?: readonly ProxyTunnel[];
}

/** An ephemeral db-client certificate (CN = db user) and its key, PEM. */
export interface DbClientCert {
  readonly certificate: string;
  readonly privateKey: string;
  readonly notAfter: Date;
}

export interface DbClientCertRequest {
  readonly dbUser: string;
  /** The certificate must not outlive this (the user's own certificate expiry). */
  readonly notAfter: Date;
}

/** Signs db-client certificates; the engine never holds the db-client CA key. */
export interface DbClientCertSigner {
  signDbClient(request: DbClientCertRequest): Promise<DbClientCert>;
}

export interface EngineCluster extends DbClientCertSigner {
  /** The latest state; waits for the first one. Rejects with GH_ERR_ENGINE_CLUSTER if none can be had. */
  snapshot(): Promise<ClusterSnapshot>;
  /**
   * Reads the state now instead of waiting for the next poll. Sessions call it before refusing
   * a login, because a user, role or CA added a moment ago may not have reached the polled state.
   */
  refresh(): Promise<ClusterSnapshot>;
  /** Called after every change of state (new version); returns an unsubscribe function. */
  onChange(listener: (snapshot: ClusterSnapshot) => void): () => void;
  readonly auditSink: AuditSink;
  /** When set, sessions hold each reply until its command's audit events are written. */
  readonly auditGate?: AuditWriteGate;
  /** The audit spool's counters, for /metrics. */
  readonly auditMetrics?: () => SpoolMetrics;
  /** Stops polling, flushes what audit events it can, releases resources. */
  close(): Promise<void>;
}

/** The lock that applies to `user` at `now`, if any. */
export function activeLock(snapshot: ClusterSnapshot, user: string, now: Date): Lock | undefined {
  const lock = snapshot.locks.get(user);
  if (lock === undefined) return undefined;
  if (lock.expires !== undefined && Date.parse(lock.expires) <= now.getTime()) return undefined;
  return lock;
}
