// A request to drain one engine (`gatectl engine drain ID`): kept in the store under the
// engine's id, carried to engines in the cluster state, and carried out by the engine it names
// (docs/migration.md "Draining an engine"). An engine acts on a request made after it started,
// once: a restarted engine serves again even though the record is still there. A newer request
// replaces an older one; records expire so the store does not keep them for ever.
import { z } from 'zod';

/** Engine ids as the store may name them (the file store's safe names). */
export const EngineIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$/, 'letters, digits, _ . @ -; at most 128 characters');

const isoTime = z.iso.datetime({ offset: true });

export const EngineDrainSchema = z.strictObject({
  /** The engine id (an engine's session workers, `ID#i`, all act on a request for `ID`). */
  name: EngineIdSchema,
  /** Unique per request; the audit event carries it. */
  id: z.uuid(),
  requested: isoTime,
  /** Who asked: the OS user and host gatectl ran as. */
  by: z.string().min(1).max(256),
  reason: z.string().min(1).max(1024),
  expires: isoTime,
});
export type EngineDrain = z.infer<typeof EngineDrainSchema>;

/** How long a drain request stays in the store. */
export const ENGINE_DRAIN_TTL_MS = 24 * 60 * 60 * 1000;
