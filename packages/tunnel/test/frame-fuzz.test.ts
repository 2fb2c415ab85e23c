import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeOpen, serializeRegistration, serializeResponse } from '../src/frame-serializer.js';
import {
  FrameParser,
  parseEnvelope,
  serializeData,
  serializeRequest,
  serializeWindow,
  TunnelProtocolError,
} from '../src/index.js';
import { sampleHeader } from './fixtures.js';
import { createPrng } from './prng.js';

const SEED = 0x5eed_7e11;

function seeds(): Buffer[] {
  return [
    serializeOpen(1, 65536, sampleHeader),
    serializeData(3, Buffer.from('hello')),
    serializeWindow(3, 10),
    serializeRegistration('register', { engineId: 'e', version: '1', protocol: 1, databases: [] }),
    serializeRequest(1, 'm', { a: [1, 2] }, [Buffer.from('blob')]),
    serializeResponse(1, { ok: true, body: null, blobs: [] }),
  ];
}

function feed(bytes: Buffer, chunkSizes: () => number): void {
  const parser = new FrameParser(1 << 20);
  try {
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.max(1, chunkSizes());
      parser.parse(bytes.subarray(offset, offset + n), () => {});
      offset += n;
    }
  } catch (err) {
    assert.ok(err instanceof TunnelProtocolError, `unexpected ${String(err)}`);
  }
}

test(`seeded fuzz: random bytes and mutated frames only raise TunnelProtocolError (seed ${SEED})`, () => {
  const random = createPrng(SEED);
  const int = (n: number): number => Math.floor(random() * n);
  const fixtures = seeds();
  for (let round = 0; round < 4000; round++) {
    let bytes: Buffer;
    if (round % 3 === 0) {
      bytes = Buffer.alloc(int(200));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
      // Keep the length field plausible often enough to reach the payload decoders.
      if (bytes.length >= 10 && random() < 0.7) {
        bytes[0] = 1 + int(13);
        bytes[1] = 0;
        bytes.writeUInt32BE(bytes.length - 10, 6);
      }
    } else {
      bytes = Buffer.from(fixtures[int(fixtures.length)]!);
      const flips = 1 + int(6);
      for (let i = 0; i < flips; i++) bytes[int(bytes.length)] = int(256);
      if (random() < 0.2) bytes = bytes.subarray(0, int(bytes.length));
    }
    feed(bytes, () => 1 + int(64));
  }
});

test(`seeded fuzz: parseEnvelope on random input only raises TunnelProtocolError (seed ${SEED + 1})`, () => {
  const random = createPrng(SEED + 1);
  for (let round = 0; round < 3000; round++) {
    const bytes = Buffer.alloc(Math.floor(random() * 64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    if (bytes.length >= 4 && random() < 0.5) bytes.writeUInt32BE(Math.floor(random() * bytes.length), 0);
    try {
      parseEnvelope(bytes);
    } catch (err) {
      assert.ok(err instanceof TunnelProtocolError, `unexpected ${String(err)}`);
    }
  }
});
