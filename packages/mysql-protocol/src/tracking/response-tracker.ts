// Follows server replies in the command phase: given each client command and the negotiated
// capabilities, it finds the exact end of every reply and reports how it ended, while the bytes
// are relayed untouched. Commands queue up (clients may pipeline); replies come back in order.
// The packet-level state machine is ReplyMachine; this adds the command queue and the streams.
import { PacketScanner } from '../wire/packet-scanner.js';
import { CommandQueue } from './command-queue.js';
import { type ClientPhase, type OkPacketListener, ReplyMachine, type ResponseTrackerOptions } from './reply-machine.js';
import { ServerStreamHandler } from './stream-handlers.js';
import type { TrackedCommand } from './tracked-command.js';

export type { ClientPhase, OkPacketListener, ResponseTrackerOptions };

/**
 * How much of each server packet the tracker reads: OK, ERR, EOF and the like fit whole (a longer
 * OK keeps its counts and status, and loses its info). A longer packet (a big row) is copied only
 * when it straddles two chunks, and then only this much, which the scanner's buffer keeps
 * between packets (mysql/wire retains 4 KiB, for the idle-session memory budget).
 */
const PEEK_LIMIT = 4 * 1024;

export class ResponseTracker extends ReplyMachine {
  private readonly queue = new CommandQueue();
  private readonly serverHandler: ServerStreamHandler;
  private readonly serverScanner: PacketScanner;
  private serverBytesPushed = 0;

  constructor(options: ResponseTrackerOptions) {
    super(options);
    this.serverHandler = new ServerStreamHandler(this);
    this.serverScanner = new PacketScanner(this.serverHandler);
    this.serverScanner.prefixLength = PEEK_LIMIT;
  }

  /** Commands sent whose replies have not ended, including the one being answered. */
  get pendingCommands(): number {
    return this.queue.size + (this.idle ? 0 : 1);
  }

  /** Stream offset just past the last server frame whose header pushServer has read. */
  get serverOffset(): number {
    return this.serverHandler.offset;
  }

  /** Server bytes pushed so far: the stream offset just past the last chunk. */
  get serverBytes(): number {
    return this.serverBytesPushed;
  }

  /**
   * Where the packet that the last chunk cut in two begins (the stream offset of its header),
   * or -1 when that chunk ended between packets. A relay that rewrites packets holds it back.
   */
  get openPacketStart(): number {
    const scanner = this.serverScanner;
    if (scanner.idle) return -1;
    // A header cut in two starts where the last packet ended.
    return scanner.headerCut ? this.serverHandler.offset : this.serverHandler.packetStart;
  }

  /** The payload length of that packet's first frame; -1 while its header is cut. */
  get openPacketLength(): number {
    return this.serverScanner.headerCut ? -1 : this.serverHandler.firstLength;
  }

  /** Server→client bytes, in order, as they are relayed. The chunk is not kept. */
  pushServer(chunk: Buffer): void {
    this.serverBytesPushed += chunk.length;
    this.serverScanner.scan(chunk);
  }

  /**
   * The commands whose replies have not ended, the one being answered first. After pushServer
   * threw (a reply the tracker cannot follow), they are what the caller gives up on: the tracker
   * is not used again, a fresh one starts at the next command.
   */
  unfinished(): TrackedCommand[] {
    const out: TrackedCommand[] = [];
    const current = this.answering;
    if (current !== undefined) out.push(current);
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) out.push(next);
    return out;
  }

  /** A client command (sequence id 0) as the engine relays it. */
  onCommand(command: TrackedCommand): void {
    this.queue.push(command);
    if (this.idle) this.startNext();
  }

  /**
   * Empties the queue of commands whose replies have not begun, oldest first: the connection
   * ended and no reply will come. (The command being answered is not among them.)
   */
  takeQueued(): TrackedCommand[] {
    const out: TrackedCommand[] = [];
    for (let c = this.queue.shift(); c !== undefined; c = this.queue.shift()) out.push(c);
    return out;
  }

  protected startNext(): void {
    for (;;) {
      const next = this.queue.shift();
      if (this.beginReply(next) || next === undefined) return;
      this.onOutcome({ kind: 'no-reply', command: next, done: true, endOffset: this.serverHandler.offset });
    }
  }
}

export function createResponseTracker(options: ResponseTrackerOptions): ResponseTracker {
  return new ResponseTracker(options);
}
