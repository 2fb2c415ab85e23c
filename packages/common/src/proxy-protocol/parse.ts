// PROXY protocol v1 (text) and v2 (binary) headers, as sent by load balancers in front of the
// proxy. Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
//
// MySQL servers speak first, so the header cannot be awaited before the greeting: like MariaDB,
// we send the greeting and look for a header at the start of the client's first bytes.
import { isIPv4, isIPv6 } from 'node:net';
import { ProxyProtocolError } from './proxy-protocol-error.js';

export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V1_MAX_LENGTH = 107;
/** The spec allows up to 64 KiB of TLVs; nothing we accept needs more than this. */
const V2_MAX_LENGTH = 16 + 4096;

export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

export type ProxyHeader =
  | {
      readonly kind: 'proxied';
      readonly version: 1 | 2;
      readonly family: 'tcp4' | 'tcp6';
      readonly source: ProxyEndpoint;
      readonly destination: ProxyEndpoint;
    }
  | {
      /** v2 LOCAL (a health check by the balancer itself), v1 UNKNOWN, or a unix/unspec family. */
      readonly kind: 'local';
      readonly version: 1 | 2;
    };

export type ParseProxyHeaderResult =
  | { readonly status: 'absent' }
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly header: ProxyHeader; readonly length: number };

function startsWithPartial(buf: Buffer, prefix: Buffer): 'yes' | 'no' | 'maybe' {
  const n = Math.min(buf.length, prefix.length);
  for (let i = 0; i < n; i++) if (buf[i] !== prefix[i]) return 'no';
  return buf.length >= prefix.length ? 'yes' : 'maybe';
}

/** Whether the bytes received so far start a PROXY header ('maybe' until enough arrived). */
export function detectProxyHeader(buf: Buffer): 'yes' | 'no' | 'maybe' {
  const v1 = startsWithPartial(buf, V1_PREFIX);
  const v2 = startsWithPartial(buf, V2_SIGNATURE);
  if (v1 === 'yes' || v2 === 'yes') return 'yes';
  if (v1 === 'maybe' || v2 === 'maybe') return 'maybe';
  return 'no';
}

function parsePort(text: string | undefined): number {
  if (text === undefined || !/^\d{1,5}$/.test(text) || (text.length > 1 && text.startsWith('0'))) {
    throw new ProxyProtocolError(`invalid port '${text ?? ''}' in PROXY v1 header`);
  }
  const port = Number(text);
  if (port > 65535) throw new ProxyProtocolError(`invalid port '${text}' in PROXY v1 header`);
  return port;
}

function parseV1(buf: Buffer): ParseProxyHeaderResult {
  const limit = Math.min(buf.length, V1_MAX_LENGTH);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit - 1; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    if (buf.length >= V1_MAX_LENGTH) throw new ProxyProtocolError('PROXY v1 header has no CRLF within 107 bytes');
    return { status: 'incomplete' };
  }
  const line = buf.toString('latin1', 0, end);
  const parts = line.split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { status: 'complete', header: { kind: 'local', version: 1 }, length };
  if (parts.length !== 6) throw new ProxyProtocolError(`malformed PROXY v1 header '${line}'`);
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const family = proto === 'TCP4' ? 'tcp4' : proto === 'TCP6' ? 'tcp6' : undefined;
  if (!family) throw new ProxyProtocolError(`unsupported PROXY v1 protocol '${proto}'`);
  const valid = family === 'tcp4' ? isIPv4 : isIPv6;
  if (!valid(src) || !valid(dst)) throw new ProxyProtocolError(`invalid ${proto} address in PROXY v1 header`);
  const header: ProxyHeader = {
    kind: 'proxied',
    version: 1,
    family,
    source: { address: src, port: parsePort(sport) },
    destination: { address: dst, port: parsePort(dport) },
  };
  return { status: 'complete', header, length };
}

function readIPv6(buf: Buffer, offset: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + i * 2).toString(16));
  // Node's net.isIPv6 accepts the uncompressed form; compress the longest zero run for logs.
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function parseV2(buf: Buffer): ParseProxyHeaderResult {
  if (buf.length < 16) return { status: 'incomplete' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) throw new ProxyProtocolError(`unsupported PROXY v2 version ${verCmd >> 4}`);
  const command = verCmd & 0x0f;
  if (command > 1) throw new ProxyProtocolError(`unknown PROXY v2 command ${command}`);
  const famProto = buf[13]!;
  const bodyLength = buf.readUInt16BE(14);
  const length = 16 + bodyLength;
  if (length > V2_MAX_LENGTH) throw new ProxyProtocolError(`PROXY v2 header of ${length} bytes is too long`);
  if (buf.length < length) return { status: 'incomplete' };
  if (command === 0) return { status: 'complete', header: { kind: 'local', version: 2 }, length };
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  if (transport > 2) throw new ProxyProtocolError(`unknown PROXY v2 transport ${transport}`);
  if (family === 0x1) {
    if (bodyLength < 12) throw new ProxyProtocolError('PROXY v2 IPv4 address block is truncated');
    const ip = (o: number): string => `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
    const header: ProxyHeader = {
      kind: 'proxied',
      version: 2,
      family: 'tcp4',
      source: { address: ip(16), port: buf.readUInt16BE(24) },
      destination: { address: ip(20), port: buf.readUInt16BE(26) },
    };
    return { status: 'complete', header, length };
  }
  if (family === 0x2) {
    if (bodyLength < 36) throw new ProxyProtocolError('PROXY v2 IPv6 address block is truncated');
    const header: ProxyHeader = {
      kind: 'proxied',
      version: 2,
      family: 'tcp6',
      source: { address: readIPv6(buf, 16), port: buf.readUInt16BE(48) },
      destination: { address: readIPv6(buf, 32), port: buf.readUInt16BE(50) },
    };
    return { status: 'complete', header, length };
  }
  if (family === 0x0 || family === 0x3) return { status: 'complete', header: { kind: 'local', version: 2 }, length };
  throw new ProxyProtocolError(`unknown PROXY v2 address family ${family}`);
}

/**
 * Parses a PROXY header at the start of `buf`. 'absent' means the bytes are not a PROXY header
 * (the caller treats them as MySQL); 'incomplete' means wait for more bytes.
 */
export function parseProxyHeader(buf: Buffer): ParseProxyHeaderResult {
  const detected = detectProxyHeader(buf);
  if (detected === 'no') return { status: 'absent' };
  if (detected === 'maybe') return { status: 'incomplete' };
  return buf[0] === V1_PREFIX[0] ? parseV1(buf) : parseV2(buf);
}
