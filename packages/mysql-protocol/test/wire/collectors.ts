// Test helpers that run a byte stream through each framer and record what comes out.
import { PacketParser, type PacketParserOptions } from '../../src/wire/packet-parser.js';
import { type PacketScanHandler, PacketScanner } from '../../src/wire/packet-scanner.js';

export interface ParsedPacket {
  payload: Buffer;
  sequenceId: number;
  frames: number;
}

/** Feeds `chunks` to a PacketParser and returns copies of the packets it emitted. */
export function parseChunks(chunks: readonly Buffer[], options: PacketParserOptions = {}): ParsedPacket[] {
  const parser = new PacketParser(options);
  const out: ParsedPacket[] = [];
  for (const c of chunks) {
    parser.push(c, (payload, sequenceId, frames) => out.push({ payload: Buffer.from(payload), sequenceId, frames }));
  }
  return out;
}

export interface ScannedPacket {
  /** The frames as reported: [sequenceId, length, isContinuation]. */
  frames: Array<[number, number, boolean]>;
  prefix: Buffer | null;
  prefixComplete: boolean;
  /** Reassembled from onPayload fragments (only when payload collection is on). */
  payload: Buffer;
  length: number;
  frameCount: number;
}

/** Records scanner events per logical packet. */
export class ScanRecorder implements PacketScanHandler {
  readonly packets: ScannedPacket[] = [];
  private current: ScannedPacket = ScanRecorder.fresh();
  private fragments: Buffer[] = [];

  private static fresh(): ScannedPacket {
    return { frames: [], prefix: null, prefixComplete: false, payload: Buffer.alloc(0), length: -1, frameCount: -1 };
  }

  onFrame(sequenceId: number, length: number, isContinuation: boolean): void {
    this.current.frames.push([sequenceId, length, isContinuation]);
  }

  onPrefix(buf: Buffer, start: number, end: number, complete: boolean): void {
    if (this.current.prefix !== null) throw new Error('onPrefix called twice for one packet');
    this.current.prefix = Buffer.from(buf.subarray(start, end));
    this.current.prefixComplete = complete;
  }

  onPayload(buf: Buffer, start: number, end: number): void {
    this.fragments.push(Buffer.from(buf.subarray(start, end)));
  }

  onPacketEnd(length: number, frames: number): void {
    this.current.length = length;
    this.current.frameCount = frames;
    this.current.payload = Buffer.concat(this.fragments);
    this.packets.push(this.current);
    this.current = ScanRecorder.fresh();
    this.fragments = [];
  }
}

/** Feeds `chunks` to a PacketScanner with the given prefix length and returns what it reported. */
export function scanChunks(
  chunks: readonly Buffer[],
  prefixLength: number,
  wantPayload = true,
): { packets: ScannedPacket[]; scanner: PacketScanner } {
  const recorder = new ScanRecorder();
  const scanner = new PacketScanner(recorder);
  scanner.prefixLength = prefixLength;
  scanner.wantPayload = wantPayload;
  for (const c of chunks) scanner.scan(c);
  return { packets: recorder.packets, scanner };
}
