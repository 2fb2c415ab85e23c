// Replaces packets in the server→client byte stream: the engine asks the database for
// CLIENT_SESSION_TRACK even when the client did not, so the OK packets of such a client must be
// re-encoded in the format it negotiated (info as the packet's rest, no session-state block).
// It does no framing of its own: the response tracker has walked the chunk already, reports each
// OK while it does (replace()), and says where the packet that the chunk cut in two begins. A
// small packet so cut is held (its bytes copied, and only its bytes) until its end arrives, so
// that an OK is never half-sent before it is known to be one; longer packets (rows) stream on.
// Used only for such clients: others get the chunks unchanged, with no work here at all.
import { serializePacket } from '@gatehouse/mysql-protocol';

/** Packets up to this size are held whole when a chunk cuts them (an OK is far smaller). */
export const SPLICE_HOLD_LIMIT = 64 * 1024;

/** Where the tracker stands after a chunk (stream offsets, as ResponseTracker counts them). */
export interface SplicePosition {
  /** The stream offset just past the chunk. */
  readonly serverBytes: number;
  /** Where the packet the chunk cut in two begins; -1 when it ended between packets. */
  readonly openPacketStart: number;
  /** That packet's (first frame's) payload length; -1 while its header is cut. */
  readonly openPacketLength: number;
}

/**
 * Given an OK's whole payload (a view valid during the call) and the stream offset where its
 * packet starts, the payload to send instead.
 */
export type OkRewrite = (payload: Buffer, start: number) => Buffer;

export class OkSplicer {
  readonly #rewrite: OkRewrite;
  /** The start of a packet the last chunk cut, and its bytes so far (a copy); undefined: none. */
  #held: Buffer | undefined;
  #heldStart = 0;
  /** [start, end) stream offsets of each OK to rewrite, header included, in stream order. */
  #oks: number[] = [];

  constructor(rewrite: OkRewrite) {
    this.#rewrite = rewrite;
  }

  /** Bytes held back for now (a packet whose end has not arrived). */
  get heldBytes(): number {
    return this.#held?.length ?? 0;
  }

  /** The OK at stream offsets [start, end) goes out rewritten (its sequence id kept). */
  replace(start: number, end: number): void {
    this.#oks.push(start, end);
  }

  /**
   * The next chunk of the server stream, after the tracker read it (`at`: where it stands now);
   * returns what may go to the client now, in order: views of the chunk, rewritten OKs, and the
   * held packet once it is whole.
   */
  take(chunk: Buffer, at: SplicePosition): Buffer[] {
    const out: Buffer[] = [];
    const chunkEnd = at.serverBytes;
    const chunkStart = chunkEnd - chunk.length;
    const open = this.#holdsOpen(at) ? at.openPacketStart : -1;
    let pos = 0;
    const held = this.#held;
    if (held !== undefined) {
      if (open === this.#heldStart) {
        // Still not whole: this chunk is all inside it.
        this.#held = Buffer.concat([held, chunk]);
        return out;
      }
      this.#held = undefined;
      if (at.openPacketStart === this.#heldStart) {
        // Its header now says it is long (a row): it streams on, as it is.
        out.push(held, chunk);
        this.#oks.length = 0;
        return out;
      }
      // It ends in this chunk: only its own bytes are copied, to send it whole.
      const end = this.#heldStart + 4 + readLength(held, chunk);
      pos = end - chunkStart;
      const packet = Buffer.allocUnsafe(held.length + pos);
      held.copy(packet, 0);
      chunk.copy(packet, held.length, 0, pos);
      out.push(this.#rewritten(packet, this.#heldStart, end) ?? packet);
    }
    const oks = this.#oks;
    for (let i = 0; i < oks.length; i += 2) {
      const start = oks[i]! - chunkStart;
      const end = oks[i + 1]! - chunkStart;
      // Before pos: the held packet, done above. Past the chunk: the open packet, held below
      // (or, longer than the hold limit, sent as it is).
      if (start < pos || end > chunk.length) continue;
      if (start > pos) out.push(chunk.subarray(pos, start));
      out.push(serializePacket(this.#rewrite(chunk.subarray(start + 4, end), oks[i]!), chunk[start + 3]!));
      pos = end;
    }
    const holdFrom = open >= chunkStart + pos ? open - chunkStart : chunk.length;
    if (holdFrom > pos) out.push(chunk.subarray(pos, holdFrom));
    this.#keepOks(open);
    if (holdFrom < chunk.length) {
      this.#heldStart = open;
      this.#held = Buffer.from(chunk.subarray(holdFrom));
    }
    return out;
  }

  /**
   * The tracker could not follow this chunk (a lost reply): it and anything held go out as they
   * are, and the next take() starts afresh (a new tracker counts from 0).
   */
  pass(chunk: Buffer): Buffer[] {
    const held = this.#held;
    this.#held = undefined;
    this.#oks.length = 0;
    return held === undefined ? [chunk] : [held, chunk];
  }

  /** Whether the packet the chunk cut is short enough (or not known yet) to be held. */
  #holdsOpen(at: SplicePosition): boolean {
    return at.openPacketStart >= 0 && at.openPacketLength <= SPLICE_HOLD_LIMIT;
  }

  /** The held packet, rewritten if it is a reported OK. */
  #rewritten(packet: Buffer, start: number, end: number): Buffer | undefined {
    const oks = this.#oks;
    for (let i = 0; i < oks.length; i += 2) {
      if (oks[i] === start && oks[i + 1] === end) {
        return serializePacket(this.#rewrite(packet.subarray(4), start), packet[3]!);
      }
    }
    return undefined;
  }

  /** Forgets the OKs dealt with: only one that begins where the new held packet does can remain. */
  #keepOks(open: number): void {
    const oks = this.#oks;
    if (oks.length === 0) return;
    let kept = 0;
    for (let i = 0; i < oks.length; i += 2) {
      if (oks[i] !== open) continue;
      oks[kept++] = oks[i]!;
      oks[kept++] = oks[i + 1]!;
    }
    oks.length = kept;
  }
}

/** The payload length in the header of a packet whose first bytes are `held`, the rest in `chunk`. */
function readLength(held: Buffer, chunk: Buffer): number {
  const byte = (i: number): number => (i < held.length ? held[i]! : chunk[i - held.length]!);
  return byte(0) | (byte(1) << 8) | (byte(2) << 16);
}
