import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  serializeOpen,
  serializeOpenAck,
  serializeOpenReject,
  serializePong,
  serializeRegistration,
  serializeReset,
  serializeResponse,
} from '../src/frame-serializer.js';
import type { TunnelFrame } from '../src/frames.js';
import {
  FrameParser,
  parseFrame,
  serializeData,
  serializeFin,
  serializePing,
  serializeRequest,
  serializeWindow,
  TunnelProtocolError,
} from '../src/index.js';
import { sampleHeader } from './fixtures.js';

const registration = {
  engineId: 'engine-a',
  version: '0.1.0',
  protocol: 1,
  databases: [
    {
      name: 'orders',
      labels: { env: 'dev' },
      health: 'healthy' as const,
      serverVersion: '11.4.2-MariaDB',
      capabilities: 0xfffff7ff,
      mariadbCapabilities: 0x1f,
    },
  ],
};

function fixtures(): Buffer[] {
  return [
    serializeOpen(1, 262144, sampleHeader),
    serializeOpenAck(1, 131072),
    serializeOpenReject(3, { code: 'GH_ERR_NO_ENGINE', message: "no database 'x' here" }),
    serializeData(1, Buffer.from('select 1')),
    serializeData(1, Buffer.alloc(0)),
    serializeWindow(1, 65536),
    serializeFin(1),
    serializeReset(5, { code: 'GH_ERR_TUNNEL_STREAM_RESET', message: 'client went away', details: { n: 1 } }),
    serializePing(Buffer.from('12345678')),
    serializePong(Buffer.from('87654321')),
    serializeRegistration('register', registration),
    serializeRegistration('update', { ...registration, databases: [] }),
    serializeRequest(7, 'audit.append', { events: 3 }, [Buffer.from('{"a":1}\n')]),
    serializeResponse(7, { ok: true, body: { acked: 3 }, blobs: [] }),
    serializeResponse(8, { ok: false, error: { code: 'GH_ERR_INTERNAL', message: 'disk full' } }),
  ];
}

function collect(parser: FrameParser, chunks: Buffer[]): TunnelFrame[] {
  const frames: TunnelFrame[] = [];
  for (const chunk of chunks) parser.parse(chunk, (frame) => frames.push(frame));
  return frames;
}

test('every frame kind survives serialize → parse with its fields and raw bytes', () => {
  const frames = fixtures().map((bytes) => parseFrame(bytes));
  assert.deepEqual(
    frames.map((f) => f.kind),
    [
      'open',
      'open-ack',
      'open-reject',
      'data',
      'data',
      'window',
      'fin',
      'reset',
      'ping',
      'pong',
      'register',
      'update',
      'request',
      'response',
      'response',
    ],
  );
  const open = frames[0]!;
  assert.ok(open.kind === 'open');
  assert.equal(open.window, 262144);
  assert.deepEqual(open.header, sampleHeader);
  const data = frames[3]!;
  assert.ok(data.kind === 'data');
  assert.equal(data.payload.toString(), 'select 1');
  const window = frames[5]!;
  assert.ok(window.kind === 'window' && window.increment === 65536);
  const register = frames[10]!;
  assert.ok(register.kind === 'register');
  assert.deepEqual(register.registration, registration);
  const request = frames[12]!;
  assert.ok(request.kind === 'request');
  assert.equal(request.method, 'audit.append');
  assert.deepEqual(request.body, { events: 3 });
  assert.equal(request.blobs[0]!.toString(), '{"a":1}\n');
  const failed = frames[14]!;
  assert.ok(failed.kind === 'response' && !failed.result.ok && failed.result.error.message === 'disk full');
  for (const [i, bytes] of fixtures().entries()) assert.ok(frames[i]!.bytes.equals(bytes));
});

test('many frames in one chunk parse in order', () => {
  const all = Buffer.concat(fixtures());
  const frames = collect(new FrameParser(), [all]);
  assert.equal(frames.length, fixtures().length);
  assert.equal(frames.at(-1)!.kind, 'response');
});

test('the stream split at every byte offset yields the same frames', () => {
  const all = Buffer.concat(fixtures());
  const expected = collect(new FrameParser(), [all]).map((f) => f.bytes.toString('hex'));
  for (let cut = 1; cut < all.length; cut++) {
    const parser = new FrameParser();
    const frames = collect(parser, [all.subarray(0, cut), all.subarray(cut)]);
    assert.deepEqual(
      frames.map((f) => f.bytes.toString('hex')),
      expected,
      `split at ${cut}`,
    );
    assert.equal(parser.bufferedBytes, 0);
  }
});

test('a stream fed one byte at a time yields the same frames', () => {
  const all = Buffer.concat(fixtures());
  const chunks = [...all].map((b) => Buffer.from([b]));
  assert.equal(collect(new FrameParser(), chunks).length, fixtures().length);
});

test('views handed out earlier are not overwritten by later chunks', () => {
  const first = serializeData(1, Buffer.from('first payload'));
  const second = serializeData(1, Buffer.from('second payload'));
  const parser = new FrameParser();
  const kept: Buffer[] = [];
  const onFrame = (frame: TunnelFrame): void => {
    if (frame.kind === 'data') kept.push(frame.payload);
  };
  // first + half of second, then the rest, then a third frame in the carry buffer.
  const joined = Buffer.concat([first, second, first]);
  parser.parse(joined.subarray(0, first.length + 5), onFrame);
  parser.parse(joined.subarray(first.length + 5, first.length + second.length + 3), onFrame);
  parser.parse(joined.subarray(first.length + second.length + 3), onFrame);
  assert.deepEqual(
    kept.map((b) => b.toString()),
    ['first payload', 'second payload', 'first payload'],
  );
});

test('a truncated header or payload waits for more bytes; parseFrame rejects it', () => {
  for (const bytes of fixtures()) {
    for (const cut of [1, 9, bytes.length - 1]) {
      if (cut <= 0 || cut >= bytes.length) continue;
      const parser = new FrameParser();
      assert.equal(collect(parser, [bytes.subarray(0, cut)]).length, 0);
      assert.equal(parser.bufferedBytes, cut);
      assert.throws(() => parseFrame(bytes.subarray(0, cut)), TunnelProtocolError);
    }
  }
});

test('an oversized frame is refused from its header, before its payload is buffered', () => {
  const header = serializeData(1, Buffer.alloc(0));
  header.writeUInt32BE(5 * 1024 * 1024, 6);
  const parser = new FrameParser(4 * 1024 * 1024);
  assert.throws(
    () => parser.parse(header, () => {}),
    (err: unknown) => err instanceof TunnelProtocolError && /exceeds/.test(err.message),
  );
});

test('semantic violations are protocol errors', () => {
  const cases: Buffer[] = [
    serializeData(0, Buffer.from('x')), // DATA needs a stream id
    serializeWindow(1, 0), // zero increment
    serializePing(Buffer.from('123')), // ping is 8 bytes
    (() => {
      const b = serializeFin(1);
      b[1] = 1; // reserved flags
      return b;
    })(),
    (() => {
      const b = serializeFin(1);
      b[0] = 0x7f; // unknown type
      return b;
    })(),
    serializeRegistration('register', { ...registration, engineId: '' }),
  ];
  for (const bytes of cases) assert.throws(() => parseFrame(bytes), TunnelProtocolError);
});
