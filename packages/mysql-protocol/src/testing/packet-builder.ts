// Fixtures for MySQL codec tests: a fluent packet builder and helpers to cut a byte stream into
// chunks.
import { BufferWriter } from '../wire/buffer-writer.js';
import { serializePacket } from '../wire/packet-writer.js';

/**
 * Builds one payload with the MySQL encodings (every BufferWriter method chains) and frames it:
 * `packetBuilder().u8(0x03).string('SELECT 1').build(0)`.
 */
export class PacketBuilder extends BufferWriter {
  /** A copy of the payload built so far. */
  payload(): Buffer {
    return Buffer.from(this.view());
  }

  /** The framed wire bytes (split into continuation frames at 0xFFFFFF) starting at `sequenceId`. */
  build(sequenceId = 0): Buffer {
    return serializePacket(this.view(), sequenceId);
  }
}

export function packetBuilder(): PacketBuilder {
  return new PacketBuilder();
}

/** Frames several payloads back to back with consecutive sequence ids, as a server sends them. */
export function buildPackets(payloads: readonly Uint8Array[], firstSequenceId = 0): Buffer {
  let seq = firstSequenceId;
  const parts: Buffer[] = [];
  for (const p of payloads) {
    const framed = serializePacket(p, seq);
    parts.push(framed);
    seq = (seq + Math.floor(p.length / 0xffffff) + 1) & 0xff;
  }
  return Buffer.concat(parts);
}

/** Cuts `bytes` at the given offsets (views, no copies). */
export function splitAt(bytes: Buffer, ...offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const at of [...offsets].sort((a, b) => a - b)) {
    out.push(bytes.subarray(prev, at));
    prev = at;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Every way to cut `bytes` in two: [head, tail] for each offset 0..length. */
export function* splitsEverywhere(bytes: Buffer): Generator<[Buffer, Buffer]> {
  for (let i = 0; i <= bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
}

/** Cuts `bytes` into chunks of `size` bytes (the last one shorter). */
export function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}
