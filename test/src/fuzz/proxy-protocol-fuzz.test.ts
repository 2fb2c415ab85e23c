// Fuzz: the PROXY protocol v1/v2 header parser, on random and mutated headers. See fuzz-kit.ts.
import { test } from 'node:test';
import {
  detectProxyHeader,
  ProxyProtocolError,
  parseProxyHeader,
  serializeProxyHeaderV1,
  serializeProxyHeaderV2,
  serializeProxyHeaderV2Local,
} from '@gatehouse/common/proxy-protocol';
import { bytesNear, FUZZ_RUNS, fuzzDecoder } from './fuzz-kit.js';

test(`fuzz: parseProxyHeader on ${FUZZ_RUNS} inputs raises only ProxyProtocolError`, () => {
  const samples = [
    serializeProxyHeaderV1('192.0.2.1', 5000, '198.51.100.2', 3036),
    serializeProxyHeaderV1('2001:db8::1', 5000, '2001:db8::2', 3036),
    serializeProxyHeaderV2('192.0.2.1', 5000, '198.51.100.2', 3036),
    serializeProxyHeaderV2('2001:db8::1', 5000, '2001:db8::2', 3036),
    serializeProxyHeaderV2Local(),
    Buffer.from('PROXY UNKNOWN\r\n'),
  ];
  fuzzDecoder(
    bytesNear(samples, 160),
    (b) => {
      detectProxyHeader(b);
      parseProxyHeader(b);
    },
    [ProxyProtocolError],
  );
});
