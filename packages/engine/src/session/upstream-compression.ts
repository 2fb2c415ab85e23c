// The database leg with protocol compression (`databases[].compression`, default off). The
// engine asks for CLIENT_COMPRESS at login when the database is configured for it and the
// server offers it; then it takes the compressed layer off the socket here, so the relay, its
// parsers and the audit work on the same plain stream as without compression. What it costs and
// saves is measured in docs/performance.md ("Protocol compression").
import type { Duplex } from 'node:stream';
import { Capability, createCompressedStream, hasCapability, type UpstreamConnection } from '@gatehouse/mysql-protocol';

export interface PlainUpstream {
  /** The database socket, or the plain side of its compressed stream. */
  readonly socket: Duplex;
  /** What the login read past its OK, as plain bytes. */
  readonly leftover: Buffer;
}

/** The upstream as the relay reads and writes it: plain MySQL packets, compressed or not on the wire. */
export function plainUpstream(upstream: UpstreamConnection): PlainUpstream {
  if (!hasCapability(upstream.capabilities, Capability.Compress))
    return { socket: upstream.socket, leftover: upstream.leftover };
  const { stream, leftover } = createCompressedStream(upstream.socket, upstream.leftover, {
    role: 'client',
    capabilities: upstream.capabilities,
  });
  return { socket: stream, leftover };
}
