// Writing PROXY headers: used by tests, the benchmark, and anyone chaining Gatehouse behind itself.
import { isIPv4 } from 'node:net';
import { V2_SIGNATURE } from './parse.js';

export function serializeProxyHeaderV1(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
): Buffer {
  const proto = isIPv4(source) ? 'TCP4' : 'TCP6';
  return Buffer.from(`PROXY ${proto} ${source} ${destination} ${sourcePort} ${destinationPort}\r\n`, 'latin1');
}

function writeIPv6(out: Buffer, offset: number, address: string): void {
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...tailGroups];
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), offset + i * 2);
}

export function serializeProxyHeaderV2(
  source: string,
  sourcePort: number,
  destination: string,
  destinationPort: number,
): Buffer {
  const v4 = isIPv4(source);
  const bodyLength = v4 ? 12 : 36;
  const out = Buffer.alloc(16 + bodyLength);
  V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21; // version 2, command PROXY
  out[13] = v4 ? 0x11 : 0x21; // AF_INET/AF_INET6 over STREAM
  out.writeUInt16BE(bodyLength, 14);
  if (v4) {
    Buffer.from(source.split('.').map(Number)).copy(out, 16);
    Buffer.from(destination.split('.').map(Number)).copy(out, 20);
    out.writeUInt16BE(sourcePort, 24);
    out.writeUInt16BE(destinationPort, 26);
  } else {
    writeIPv6(out, 16, source);
    writeIPv6(out, 32, destination);
    out.writeUInt16BE(sourcePort, 48);
    out.writeUInt16BE(destinationPort, 50);
  }
  return out;
}

/** v2 LOCAL: a connection the balancer makes on its own behalf (health checks). */
export function serializeProxyHeaderV2Local(): Buffer {
  const out = Buffer.alloc(16);
  V2_SIGNATURE.copy(out, 0);
  out[12] = 0x20;
  return out;
}
