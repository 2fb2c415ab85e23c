import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameParser, type TunnelTransport } from '../src/index.js';
import type { TunnelFrame } from '../src/frames.js';
import { FrameWriter } from '../src/frame-writer.js';
import { FrameType } from '../src/constants.js';

function capture(headroom: number | undefined): { transport: TunnelTransport; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const transport: TunnelTransport = {
    ...(headroom === undefined ? {} : { headroom }),
    send: (buffer, done) => {
      sent.push(buffer);
      done();
    },
    close: () => {},
    terminate: () => {},
  };
  return { transport, sent };
}

function parseAll(message: Buffer): TunnelFrame[] {
  const frames: TunnelFrame[] = [];
  new FrameParser().parse(message, (frame) => frames.push(frame));
  return frames;
}

for (const headroom of [undefined, 14]) {
  test(`frames queued in one turn leave as one message after ${headroom ?? 0} bytes of headroom`, () => {
    const { transport, sent } = capture(headroom);
    const writer = new FrameWriter(transport, 1024 * 1024);
    writer.write(FrameType.Data, 3, Buffer.from('select 1'));
    writer.write(FrameType.Fin, 5);
    writer.write(FrameType.Data, 7, Buffer.alloc(70_000, 0x61));
    writer.flush();
    assert.equal(sent.length, 1);
    const message = sent[0]!;
    const skip = headroom ?? 0;
    assert.equal(message.length, skip + 10 + 8 + 10 + 10 + 70_000);
    const frames = parseAll(message.subarray(skip));
    assert.deepEqual(
      frames.map((f) => [f.kind, 'streamId' in f ? f.streamId : -1]),
      [
        ['data', 3],
        ['fin', 5],
        ['data', 7],
      ],
    );
    const first = frames[0]!;
    assert.ok(first.kind === 'data' && first.payload.toString() === 'select 1');
    assert.equal(writer.bufferedBytes, 0, 'the headroom is not counted as buffered bytes');
  });
}
