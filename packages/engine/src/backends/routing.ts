// Which backend of a database a session goes to (docs/architecture.md, "Database clusters").
// The answer is an ordered list: the session tries the next one when a backend cannot be
// reached, so a backend that died since the last monitor round costs one connect attempt.
import { createHash } from 'node:crypto';
import type { RoutingPolicy } from '@gatehouse/common';
import type { BackendInfo } from '@gatehouse/tunnel';
import { EngineError, EngineMysqlError } from '../errors.js';

export interface RouteRequest {
  readonly dbService: string;
  readonly policy: RoutingPolicy;
  readonly maxReplicaLagMs: number;
  /** consistent_hash: the user name or the client's address, per `hash_on`. */
  readonly hashKey: string;
  /** The certificate's --db-role: only backends of that role will do. */
  readonly certRole?: string | undefined;
  /** For tests; default Math.random. */
  readonly random?: () => number;
}

const TWO_POW_64 = 2 ** 64;

/**
 * Rendezvous (highest random weight) score of `key` on `uri`, weighted: -weight / ln(u) with u
 * uniform in (0, 1] from a hash of both. Every backend's score is independent of the others,
 * so removing one moves only the keys it held, and a weight-2 backend wins twice as often.
 */
export function rendezvousScore(key: string, uri: string, weight: number): number {
  const digest = createHash('sha256').update(key).update('\0').update(uri).digest();
  const u = (Number(digest.readBigUInt64BE(0)) + 1) / TWO_POW_64;
  return u >= 1 ? Number.POSITIVE_INFINITY : -weight / Math.log(u);
}

/** The backends ordered by rendezvous score for `key`, best first. */
export function rendezvousOrder<T extends Pick<BackendInfo, 'uri' | 'weight'>>(
  key: string,
  backends: readonly T[],
): T[] {
  return backends
    .map((b) => ({ b, score: rendezvousScore(key, b.uri, b.weight) }))
    .sort((x, y) => y.score - x.score)
    .map((x) => x.b);
}

/** A random order in which each backend comes first in proportion to its weight. */
function weightedOrder(backends: readonly BackendInfo[], random: () => number): BackendInfo[] {
  return backends
    .map((b) => ({ b, key: Math.log(Math.max(random(), Number.MIN_VALUE)) / b.weight }))
    .sort((x, y) => y.key - x.key)
    .map((x) => x.b);
}

const usable = (b: BackendInfo): boolean => b.health !== 'unhealthy';

function freshReplica(b: BackendInfo, maxLagMs: number): boolean {
  if (!usable(b) || b.role !== 'replica') return false;
  // No replication status (a read-only server that replicates from nobody) is not behind;
  // null means replication is configured but stopped, which is behind by an unknown amount.
  if (b.lagSeconds === undefined) return true;
  return b.lagSeconds !== null && b.lagSeconds * 1000 <= maxLagMs;
}

/** The writable backends; without a monitor user every role is unknown, and those serve. */
function writable(backends: readonly BackendInfo[]): BackendInfo[] {
  const primaries = backends.filter((b) => usable(b) && b.role === 'primary');
  return primaries.length > 0 ? primaries : backends.filter((b) => usable(b) && b.role === 'unknown');
}

function describe(backends: readonly BackendInfo[]): string {
  return backends
    .map((b) => {
      const lag =
        b.lagSeconds === null ? ', replication stopped' : b.lagSeconds === undefined ? '' : `, lag ${b.lagSeconds}s`;
      return `${b.uri} ${b.health} ${b.role}${lag}`;
    })
    .join('; ');
}

function noBackend(request: RouteRequest, backends: readonly BackendInfo[], wanted: string): EngineError {
  return new EngineError(
    'GH_ERR_ENGINE_NO_BACKEND',
    `database '${request.dbService}' has no ${wanted} available (${describe(backends)})`,
    EngineMysqlError.CannotConnect,
  );
}

/** The backends to try, in order; throws GH_ERR_ENGINE_NO_BACKEND when none fits. */
export function routeSession(backends: readonly BackendInfo[], request: RouteRequest): BackendInfo[] {
  const random = request.random ?? Math.random;
  const lagLimit = `${request.maxReplicaLagMs / 1000}s`;
  // One server and nothing known against it: try it, so the person sees the connect error.
  if (backends.length === 1 && request.certRole === undefined && backends[0]!.role === 'unknown') return [...backends];
  if (request.certRole === 'replica') {
    const replicas = backends.filter((b) => freshReplica(b, request.maxReplicaLagMs));
    if (replicas.length === 0) throw noBackend(request, backends, `replica within the lag limit of ${lagLimit}`);
    return weightedOrder(replicas, random);
  }
  if (request.certRole === 'primary' || request.policy === 'primary') {
    const primaries = writable(backends);
    if (primaries.length === 0) throw noBackend(request, backends, 'writable backend (primary)');
    return primaries;
  }
  if (request.policy === 'prefer_replica') {
    const replicas = weightedOrder(
      backends.filter((b) => freshReplica(b, request.maxReplicaLagMs)),
      random,
    );
    const all = [...replicas, ...writable(backends)];
    if (all.length === 0) throw noBackend(request, backends, `replica within ${lagLimit} nor a primary`);
    return all;
  }
  const up = backends.filter(usable);
  if (up.length === 0) throw noBackend(request, backends, 'healthy backend');
  return request.policy === 'consistent_hash' ? rendezvousOrder(request.hashKey, up) : weightedOrder(up, random);
}
