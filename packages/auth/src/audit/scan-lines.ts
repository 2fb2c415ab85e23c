// Reads a log file line by line as bytes, for the searches: a line that a cheap byte test rules
// out is never decoded or parsed, which is most of them on a big log.
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

export interface ScanResult {
  /** Bytes after the last newline: an unfinished write, or a torn line after a crash. */
  readonly tailBytes: number;
  /** Offset just past the last newline read. */
  readonly completeBytes: number;
}

/**
 * Calls `onLine` with each newline-terminated line of `path` (without the newline) and the
 * offset just past its newline. The buffer is only valid during the call. Stops early when
 * `onLine` returns false.
 */
export async function scanLines(
  path: string,
  onLine: (line: Buffer, end: number) => boolean | undefined,
): Promise<ScanResult> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let pending: Buffer[] = [];
    let position = 0;
    let lineStart = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      let from = 0;
      for (;;) {
        const nl = buffer.indexOf(0x0a, from);
        if (nl < 0 || nl >= bytesRead) break;
        const piece = buffer.subarray(from, nl);
        const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        lineStart = position + nl + 1;
        if (onLine(line, lineStart) === false) return { tailBytes: 0, completeBytes: lineStart };
        from = nl + 1;
      }
      if (from < bytesRead) pending.push(Buffer.from(buffer.subarray(from, bytesRead)));
      position += bytesRead;
    }
    return { tailBytes: position - lineStart, completeBytes: lineStart };
  } finally {
    await handle.close();
  }
}

const SEQ_PREFIX = Buffer.from('{"seq":');

/** The seq of a record line from its first bytes (lines start with {"seq":N); NaN otherwise. */
export function readLineSeq(line: Buffer): number {
  if (line.length < SEQ_PREFIX.length || line.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, 0, SEQ_PREFIX.length) !== 0)
    return Number.NaN;
  let n = 0;
  let i = SEQ_PREFIX.length;
  for (; i < line.length && i < SEQ_PREFIX.length + 16; i++) {
    const c = line[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return i === SEQ_PREFIX.length ? Number.NaN : n;
}

const SID_KEY = Buffer.from('"sid":"');

/**
 * The session id of a record line without parsing it. Lines are canonical JSON (keys sorted),
 * and every key after "sid" holds a plain value, so the last `"sid":"` is the event's own even
 * when a client attribute or a parameter is named sid. Undefined when absent or escaped.
 */
export function readLineSid(line: Buffer): string | undefined {
  const at = line.lastIndexOf(SID_KEY);
  if (at < 0) return undefined;
  const from = at + SID_KEY.length;
  const end = line.indexOf(0x22, from);
  if (end < 0) return undefined;
  const sid = line.toString('utf8', from, end);
  return sid.includes('\\') ? undefined : sid;
}
