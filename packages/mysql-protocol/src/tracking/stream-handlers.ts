// Adapters between mysql/wire's boundary-only PacketScanner and the tracker: the server side
// hands each packet's first bytes to the tracker and keeps the stream offset; the client side
// tells commands from LOCAL INFILE / auth data. One object each, so nothing is allocated per packet.
import type { PacketScanHandler } from '../wire/packet-scanner.js';
import { readTrackedCommand } from './tracked-command.js';

/** The part of the tracker the adapters drive. */
export interface TrackerSink {
  readonly clientPhase: 'command' | 'local-infile' | 'auth';
  onServerPacket(b: Buffer, start: number, end: number, length: number, complete: boolean, endOffset: number): void;
  onCommand(command: ReturnType<typeof readTrackedCommand>): void;
  onClientData(length: number): void;
}

/** Enough of a command for readTrackedCommand (COM_STMT_EXECUTE's flags are at byte 5). */
export const COMMAND_PREFIX = 16;

export class ServerStreamHandler implements PacketScanHandler {
  /** Stream offset just past the last frame header's payload, i.e. the end of the current frame. */
  offset = 0;
  private readonly sink: TrackerSink;
  private firstLength = 0;

  constructor(sink: TrackerSink) {
    this.sink = sink;
  }

  onFrame(_sequenceId: number, length: number, isContinuation: boolean): void {
    this.offset += 4 + length;
    if (!isContinuation) this.firstLength = length;
  }

  onPrefix(buf: Buffer, start: number, end: number, complete: boolean): void {
    this.sink.onServerPacket(buf, start, end, this.firstLength, complete, this.offset);
  }

  onPayload(): void {}

  onPacketEnd(): void {}
}

export class ClientStreamHandler implements PacketScanHandler {
  private readonly sink: TrackerSink;
  private firstLength = 0;
  private isCommand = false;

  constructor(sink: TrackerSink) {
    this.sink = sink;
  }

  onFrame(_sequenceId: number, length: number, isContinuation: boolean): void {
    if (!isContinuation) this.firstLength = length;
  }

  onPrefix(buf: Buffer, start: number, end: number): void {
    this.isCommand = this.sink.clientPhase === 'command';
    if (this.isCommand) this.sink.onCommand(readTrackedCommand(buf.subarray(start, end), this.firstLength));
  }

  onPayload(): void {}

  onPacketEnd(length: number): void {
    if (!this.isCommand) this.sink.onClientData(length);
  }
}
