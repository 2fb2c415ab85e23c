// Fuzz: the tunnel frame decoder (streaming and one-shot) and the request envelope. See fuzz-kit.ts.
import { test } from 'node:test';
import {
  FrameParser,
  parseEnvelope,
  parseFrame,
  serializeData,
  serializeEnvelope,
  serializeFin,
  serializePing,
  serializeRequest,
  serializeWindow,
  TunnelProtocolError,
} from '@gatehouse/tunnel';
import fc from 'fast-check';
import { bytesNear, chunked, FUZZ_RUNS, fuzzDecoder } from './fuzz-kit.js';

const FRAMES = [
  serializeData(1, Buffer.from('hello')),
  serializeWindow(3, 65536),
  serializeFin(5),
  serializePing(Buffer.alloc(8, 1)),
  serializeRequest(7, 'audit.append', { events: [{ a: 1 }] }, [Buffer.from('blob')]),
];

test(`fuzz: FrameParser and parseFrame on ${FUZZ_RUNS} inputs raise only TunnelProtocolError`, () => {
  fuzzDecoder(
    fc.tuple(chunked(bytesNear([Buffer.concat(FRAMES), ...FRAMES], 400)), fc.integer({ min: 0, max: 512 })),
    ([chunks, max]) => {
      const parser = new FrameParser(max);
      for (const chunk of chunks) parser.parse(chunk, () => {});
    },
    [TunnelProtocolError],
  );
  fuzzDecoder(bytesNear(FRAMES, 200), (b) => parseFrame(b), [TunnelProtocolError]);
});

test(`fuzz: parseEnvelope on ${FUZZ_RUNS} inputs raises only TunnelProtocolError`, () => {
  const samples = [
    serializeEnvelope({ method: 'x', body: [1, 'a'] }, [Buffer.from('b1'), Buffer.alloc(0)]),
    serializeEnvelope(null),
  ];
  fuzzDecoder(bytesNear(samples, 200), (b) => parseEnvelope(b), [TunnelProtocolError]);
});
