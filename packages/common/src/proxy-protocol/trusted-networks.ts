// Which peers may send a PROXY header (config proxy.proxy_protocol.trusted_networks).
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface TrustedNetworks {
  contains(address: string): boolean;
}

/** Builds a matcher from "10.0.0.0/8", "::1", "192.168.1.7" … (validated by the config schema). */
export function createTrustedNetworks(entries: readonly string[]): TrustedNetworks {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return {
    contains(address: string): boolean {
      if (entries.length === 0) return false;
      // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d.
      const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
      if (isIPv4(plain)) return list.check(plain, 'ipv4');
      if (isIPv6(plain)) return list.check(plain, 'ipv6');
      return false;
    },
  };
}
