// Frames payloads for the wire: a 3-byte length, a sequence id, and continuation frames for
// payloads of 0xFFFFFF bytes or more (a payload of exactly 0xFFFFFF is followed by an empty frame).
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
import type { BufferWriter } from './buffer-writer.js';
import { MAX_FRAME_PAYLOAD, PACKET_HEADER_SIZE } from './constants.js';

/** How many frames a payload of `length` bytes takes. */
export function countFrames(length: number): number {
  return Math.floor(length / MAX_FRAME_PAYLOAD) + 1;
}

/** The sequence id after sending a payload of `length` bytes starting at `sequenceId`. */
export function nextSequenceId(sequenceId: number, length: number): number {
  return (sequenceId + countFrames(length)) & 0xff;
}

/** Writes one frame header at `buf[offset]`. */
export function writePacketHeader(buf: Buffer, offset: number, length: number, sequenceId: number): void {
  buf[offset] = length & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = (length >>> 16) & 0xff;
  buf[offset + 3] = sequenceId & 0xff;
}

/** The wire bytes of one payload in a single new buffer (headers and a copy of the payload). */
export function serializePacket(payload: Uint8Array, sequenceId: number): Buffer {
  const frames = countFrames(payload.length);
  const out = Buffer.allocUnsafe(payload.length + frames * PACKET_HEADER_SIZE);
  let src = 0;
  let dst = 0;
  for (let i = 0; i < frames; i++) {
    const n = Math.min(MAX_FRAME_PAYLOAD, payload.length - src);
    writePacketHeader(out, dst, n, sequenceId + i);
    out.set(payload.subarray(src, src + n), dst + PACKET_HEADER_SIZE);
    src += n;
    dst += n + PACKET_HEADER_SIZE;
  }
  return out;
}

/**
 * Frames a payload without copying it: appends to `out` the headers (one small allocation for
 * all of them) interleaved with views of the payload, ready for writev or cork/write/uncork.
 * Returns the next sequence id.
 */
export function framePacket(payload: Buffer, sequenceId: number, out: Buffer[]): number {
  const frames = countFrames(payload.length);
  const headers = Buffer.allocUnsafe(frames * PACKET_HEADER_SIZE);
  let src = 0;
  for (let i = 0; i < frames; i++) {
    const n = Math.min(MAX_FRAME_PAYLOAD, payload.length - src);
    const h = i * PACKET_HEADER_SIZE;
    writePacketHeader(headers, h, n, sequenceId + i);
    out.push(headers.subarray(h, h + PACKET_HEADER_SIZE));
    if (n > 0) out.push(payload.subarray(src, src + n));
    src += n;
  }
  return (sequenceId + frames) & 0xff;
}

/**
 * Starts a packet in a writer by reserving its header; returns where it starts, for
 * `finishPacket`. Several packets can be built back to back and flushed as one buffer.
 */
export function beginPacket(writer: BufferWriter): number {
  const at = writer.length;
  writer.u32(0);
  return at;
}

/**
 * Fills in the header of the packet begun at `at` and returns the next sequence id. A payload of
 * 0xFFFFFF bytes or more is re-laid into frames in place (a copy; only huge packets pay it).
 */
export function finishPacket(writer: BufferWriter, at: number, sequenceId: number): number {
  const length = writer.length - at - PACKET_HEADER_SIZE;
  if (length < MAX_FRAME_PAYLOAD) {
    writer.patchU24(at, length).patchU8(at + 3, sequenceId & 0xff);
    return (sequenceId + 1) & 0xff;
  }
  const pending = writer.view();
  const before = Buffer.from(pending.subarray(0, at));
  const framed = serializePacket(pending.subarray(at + PACKET_HEADER_SIZE), sequenceId);
  writer.reset().bytes(before).bytes(framed);
  return nextSequenceId(sequenceId, length);
}
