// The proxies of a cluster that shares one store: each proxy writes its tunnel address with an
// expiry and renews it (a heartbeat); engines learn the set from the cluster state and keep a
// tunnel to each. A proxy that stops renewing drops out once its record expires.
import { GatehouseError } from '@gatehouse/common';
import type { ProxyTunnel } from '@gatehouse/common/cluster';
import { z } from 'zod';
import type { StoreBackend } from './backend.js';
import { decodeRecord, encodeValue } from './records.js';

const Timestamp = z.iso.datetime({ offset: true });

export const ProxyRecordSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$/, 'letters, digits, _ . @ -'),
  tunnel_addr: z.string().min(1).max(300),
  expires: Timestamp,
  updated: Timestamp,
});
export type ProxyRecord = z.infer<typeof ProxyRecordSchema>;

export interface ProxyHeartbeat {
  readonly id: string;
  /** host:port engines dial for the tunnel (the proxy's HTTPS listener as they reach it). */
  readonly tunnelAddr: string;
  /** How long the record stays valid without another heartbeat. */
  readonly ttlMs: number;
}

export async function registerProxy(backend: StoreBackend, beat: ProxyHeartbeat, now: Date): Promise<void> {
  if (!(beat.ttlMs > 0)) throw new GatehouseError('GH_ERR_USAGE', 'a proxy heartbeat TTL must be positive');
  const record = encodeValue(
    ProxyRecordSchema,
    {
      name: beat.id,
      tunnel_addr: beat.tunnelAddr,
      expires: new Date(now.getTime() + beat.ttlMs).toISOString(),
      updated: now.toISOString(),
    },
    `proxy '${beat.id}'`,
  );
  await backend.put('proxies', beat.id, record);
}

/** The proxies whose heartbeat has not expired at `now`, by id. */
export async function listLiveProxies(backend: StoreBackend, now: Date): Promise<ProxyTunnel[]> {
  return (await backend.list('proxies'))
    .map((r) => decodeRecord(ProxyRecordSchema, r).value)
    .filter((p) => Date.parse(p.expires) > now.getTime())
    .map((p) => ({ id: p.name, addr: p.tunnel_addr }));
}
