// Events about an engine rather than a session (docs/audit.md "Engine events"). An operator's
// `gatectl engine drain` is recorded by the engine that carries it out, through the same spool
// as its sessions' events, so it is not lost when a proxy restarts. The base fields describe the
// request: `sid` is `drain-<request id>`, `user` the operator, `engine_id` the engine; there is
// no client, database user or database (empty).
import { z } from 'zod';
import { auditEventBaseShape, auditTypeShape } from './event-fields.js';

export const engineDrainEventSchema = z.strictObject({
  ...auditEventBaseShape,
  ...auditTypeShape('engine.drain'),
  /** The id of the drain request in the cluster state (one per `gatectl engine drain`). */
  request_id: z.uuid(),
  /** When the operator asked, ISO 8601. */
  requested_at: z.iso.datetime({ offset: true }),
  /** The operator's reason, or the default text. */
  reason: z.string().max(1024),
  /** The databases the engine served when it began to drain. */
  databases: z.array(z.string().max(256)).max(1024),
  /** True when the engine was draining already (a second request changes nothing). */
  already_draining: z.boolean(),
});
