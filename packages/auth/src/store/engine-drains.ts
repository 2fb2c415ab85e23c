// Drain requests in the store (`gatectl engine drain ID`): one record per engine id, a newer
// request replacing an older one. The proxies hand the live ones to engines in the cluster
// state; see EngineDrain in @gatehouse/common for how an engine reads them.
import { randomUUID } from 'node:crypto';
import { ENGINE_DRAIN_TTL_MS, type EngineDrain, EngineDrainSchema } from '@gatehouse/common/cluster';
import type { StoreBackend } from './backend.js';
import { encodeValue, listTyped } from './records.js';

export interface EngineDrainRequest {
  readonly engineId: string;
  readonly by: string;
  readonly reason: string;
  /** How long the record stays (default ENGINE_DRAIN_TTL_MS). */
  readonly ttlMs?: number;
}

export async function requestEngineDrain(
  backend: StoreBackend,
  request: EngineDrainRequest,
  now: Date,
): Promise<EngineDrain> {
  const drain = encodeValue(
    EngineDrainSchema,
    {
      name: request.engineId,
      id: randomUUID(),
      requested: now.toISOString(),
      by: request.by,
      reason: request.reason,
      expires: new Date(now.getTime() + (request.ttlMs ?? ENGINE_DRAIN_TTL_MS)).toISOString(),
    },
    `drain request for engine '${request.engineId}'`,
  );
  await backend.put('engine_drains', request.engineId, drain);
  return drain;
}

/** The requests that have not expired at `now`. */
export async function listEngineDrains(backend: StoreBackend, now: Date): Promise<EngineDrain[]> {
  return (await listTyped(backend, EngineDrainSchema, 'engine_drains')).filter(
    (d) => Date.parse(d.expires) > now.getTime(),
  );
}
