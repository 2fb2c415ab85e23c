// The cluster for an engine in another process: control requests over the tunnel to the proxy,
// which answers from the auth part (schemas in @gatehouse/common's cluster area). The state is
// polled about every 2 s, so locks reach live sessions within seconds; audit events go through
// the on-disk spool and are acked by audit.append, so a proxy restart loses none.
import {
  AuditAppendResponseSchema,
  ClusterMethod,
  type ClusterState,
  ClusterStateResponseSchema,
  SignDbClientResponseSchema,
} from '@gatehouse/common/cluster';
import { ServerError } from '@gatehouse/mysql-protocol';
import type { TunnelReply } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AuditSpool } from '../audit/spool.js';
import { startSpoolPipeline } from '../audit/spool-pipeline.js';
import { EngineError } from '../errors.js';
import type { ClusterSnapshot, EngineCluster } from './engine-cluster.js';

export interface TunnelClusterOptions {
  /** Sends a control request to the proxy (TunnelClient.request). */
  readonly request: (method: string, body: unknown) => Promise<TunnelReply>;
  readonly spool: AuditSpool;
  readonly log: Logger;
  /**
   * How often the proxy is asked for a newer state (default 500 ms). An unchanged state costs one
   * small request and reply; the short period is what makes a lock or a role change reach live
   * sessions within a second (the proxies learn it at once, through the store's notifications).
   */
  readonly pollMs?: number;
  /** How long snapshot() waits for a first state (default 10 s). */
  readonly firstStateTimeoutMs?: number;
}

function clusterError(message: string, cause?: unknown): EngineError {
  return new EngineError(
    'GH_ERR_ENGINE_CLUSTER',
    message,
    ServerError.UnknownError,
    cause === undefined ? undefined : { cause },
  );
}

function parseReply<T>(schema: z.ZodType<T>, reply: TunnelReply, method: string): T {
  const result = schema.safeParse(reply.body);
  if (!result.success)
    throw clusterError(`the proxy answered ${method} with an invalid body: ${result.error.issues[0]?.message ?? ''}`);
  return result.data;
}

function toSnapshot(state: ClusterState): ClusterSnapshot {
  return {
    version: state.version,
    userCas: state.userCas.map((ca) => ({
      certificate: ca.certificate,
      ...(ca.trustedUntil !== undefined ? { trustedUntil: new Date(ca.trustedUntil) } : {}),
    })),
    roles: new Map(state.roles.map((r) => [r.name, r])),
    users: new Map(state.users.map((u) => [u.name, u])),
    locks: new Map(state.locks.map((l) => [l.target.user, l])),
    ...(state.proxies !== undefined ? { proxies: state.proxies } : {}),
  };
}

const DEFAULT_POLL_MS = 500;

export function createTunnelCluster(options: TunnelClusterOptions): EngineCluster {
  const { request, log } = options;
  const listeners = new Set<(snapshot: ClusterSnapshot) => void>();
  let current: ClusterSnapshot | undefined;
  let firstWaiters: (() => void)[] = [];
  let closed = false;

  const poll = async (): Promise<void> => {
    const reply = await request(ClusterMethod.State, current === undefined ? {} : { since: current.version });
    const body = parseReply(ClusterStateResponseSchema, reply, ClusterMethod.State);
    if (!body.changed) return;
    current = toSnapshot(body.state);
    for (const listener of listeners) listener(current);
    const waiters = firstWaiters;
    firstWaiters = [];
    for (const w of waiters) w();
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    if (closed) return;
    poll()
      .catch((err) => log.debug({ err }, 'cluster state poll failed'))
      .finally(() => {
        if (closed) return;
        timer = setTimeout(loop, options.pollMs ?? DEFAULT_POLL_MS);
        timer.unref();
      });
  };
  loop();

  const audit = startSpoolPipeline({
    spool: options.spool,
    send: async (events) => {
      parseReply(
        AuditAppendResponseSchema,
        await request(ClusterMethod.AuditAppend, { events }),
        ClusterMethod.AuditAppend,
      );
    },
    log,
  });

  return {
    auditSink: audit.sink,
    auditGate: audit.sink,
    auditMetrics: audit.metrics,
    async snapshot() {
      if (current !== undefined) return current;
      const ms = options.firstStateTimeoutMs ?? 10_000;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(clusterError(`no cluster state from the proxy within ${ms} ms`)), ms);
        firstWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      return current!;
    },
    async refresh() {
      await poll();
      return current ?? this.snapshot();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async signDbClient(req) {
      let reply: TunnelReply;
      try {
        reply = await request(ClusterMethod.SignDbClient, { dbUser: req.dbUser, notAfter: req.notAfter.toISOString() });
      } catch (err) {
        throw clusterError(`the proxy could not sign a db-client certificate for '${req.dbUser}'`, err);
      }
      const body = parseReply(SignDbClientResponseSchema, reply, ClusterMethod.SignDbClient);
      return { certificate: body.certificate, privateKey: body.privateKey, notAfter: new Date(body.notAfter) };
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await audit.close();
    },
  };
}
