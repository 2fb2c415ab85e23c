// TCP keepalive for every long-lived socket (client, database, tunnel): a peer that vanished
// behind a NAT or a firewall that dropped the flow is found by the kernel's probes, instead of
// a session that waits forever. On by default; `idle` is how long a connection is quiet before
// the first probe (Linux's own default, 2 h, outlives most NAT tables).
import type { Socket } from 'node:net';
import { z } from 'zod';
import { parseDuration } from '../duration.js';

export const KeepaliveSchema = z.strictObject({
  enabled: z.boolean().default(true),
  idle: z
    .string()
    .transform((text, ctx) => {
      try {
        return parseDuration(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .default(60_000),
});

export type KeepaliveConfig = z.output<typeof KeepaliveSchema>;

export const DEFAULT_KEEPALIVE: KeepaliveConfig = Object.freeze({ enabled: true, idle: 60_000 });

/** Sets SO_KEEPALIVE (and the idle time before the first probe) on a socket, per the config. */
export function applyKeepalive(
  socket: Pick<Socket, 'setKeepAlive'>,
  config: KeepaliveConfig = DEFAULT_KEEPALIVE,
): void {
  if (config.enabled) socket.setKeepAlive(true, config.idle);
}
