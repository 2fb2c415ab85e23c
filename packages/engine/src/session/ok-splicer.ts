// Replaces packets in the server→client byte stream: the engine asks the database for
// CLIENT_SESSION_TRACK even when the client did not, so the OK packets of such a client must be
// re-encoded in the format it negotiated (info as the packet's rest, no session-state block).
// The tracker reports each OK while it reads a chunk; the splicer then sends the chunk with those
// packets replaced. A small packet that a chunk cuts in two is held until its end arrives, so
// that an OK is never half-sent before it is known to be one; longer packets (rows) stream on.
// Used only for such clients: others get the chunks unchanged, with no framing here at all.
import { serializePacket } from '@gatehouse/mysql-protocol';

/** Packets up to this size are held whole when a chunk cuts them (an OK is far smaller). */
export const SPLICE_HOLD_LIMIT = 64 * 1024;

interface Replacement {
  /** Stream offsets of the whole frame (header included). */
  readonly start: number;
  readonly end: number;
  /** Given the frame's whole payload (a view valid during the call), what to send instead. */
  readonly rewrite: (payload: Buffer) => Buffer;
}

export class OkSplicer {
  /** Stream offset of the first byte not yet sent (the start of #held, if any). */
  #sent = 0;
  /** Stream offset of the next frame header. */
  #nextHeader = 0;
  #held: Buffer | undefined;
  #replacements: Replacement[] = [];

  /** Bytes held back for now (a packet whose end has not arrived). */
  get heldBytes(): number {
    return this.#held?.length ?? 0;
  }

  /** The frame at stream offsets [start, end) goes out rewritten (its sequence id kept). */
  replace(start: number, end: number, rewrite: (payload: Buffer) => Buffer): void {
    this.#replacements.push({ start, end, rewrite });
  }

  /** The next chunk of the server stream; returns what may go to the client now, in order. */
  take(chunk: Buffer): Buffer[] {
    const data = this.#held === undefined ? chunk : Buffer.concat([this.#held, chunk]);
    const base = this.#sent;
    const end = base + data.length;
    const cut = this.#walk(data, base, end);
    const out: Buffer[] = [];
    let from = 0;
    const replacements = this.#replacements;
    let kept = 0;
    for (const r of replacements) {
      if (r.end > cut || r.start < base) {
        // Not all here yet: kept for the next chunk. A frame partly sent already (longer than
        // the hold limit, so never an OK in practice) goes out as it is.
        if (r.start >= base) replacements[kept++] = r;
        continue;
      }
      if (r.start - base > from) out.push(data.subarray(from, r.start - base));
      const at = r.start - base;
      out.push(serializePacket(r.rewrite(data.subarray(at + 4, r.end - base)), data[at + 3]!));
      from = r.end - base;
    }
    replacements.length = kept;
    if (cut - base > from) out.push(data.subarray(from, cut - base));
    // Only the held tail is copied: it must not keep the whole chunk alive.
    this.#held = cut < end ? Buffer.from(data.subarray(cut - base)) : undefined;
    this.#sent = cut;
    return out;
  }

  /** Walks the frame headers in `data`; returns the stream offset up to which bytes may go. */
  #walk(data: Buffer, base: number, end: number): number {
    for (;;) {
      const h = this.#nextHeader;
      if (h >= end) return end;
      if (h + 4 > end) return h;
      const at = h - base;
      const length = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
      const next = h + 4 + length;
      if (next > end && length <= SPLICE_HOLD_LIMIT) return h; // held: walked again with its end
      this.#nextHeader = next;
      if (next > end) return end; // a long packet streams on
    }
  }
}
