// The adapter between mysql/wire's boundary-only PacketScanner and the tracker: it hands each
// server packet's first bytes to the tracker and keeps the stream offset. One object per
// tracker, so nothing is allocated per packet. Client bytes reach the tracker from the
// engine's relay, which reads commands itself (onCommand, onClientData).
import type { PacketScanHandler } from '../wire/packet-scanner.js';

/** The part of the tracker the adapter drives. */
export interface TrackerSink {
  onServerPacket(b: Buffer, start: number, end: number, length: number, complete: boolean, endOffset: number): void;
}

export class ServerStreamHandler implements PacketScanHandler {
  /** Stream offset just past the last frame header's payload, i.e. the end of the current frame. */
  offset = 0;
  /** Stream offset of the header of the last packet begun, and the payload length of its first frame. */
  packetStart = 0;
  firstLength = 0;
  private readonly sink: TrackerSink;

  constructor(sink: TrackerSink) {
    this.sink = sink;
  }

  onFrame(_sequenceId: number, length: number, isContinuation: boolean): void {
    if (!isContinuation) {
      this.packetStart = this.offset;
      this.firstLength = length;
    }
    this.offset += 4 + length;
  }

  onPrefix(buf: Buffer, start: number, end: number, complete: boolean): void {
    this.sink.onServerPacket(buf, start, end, this.firstLength, complete, this.offset);
  }

  onPayload(): void {}

  onPacketEnd(): void {}
}
