import { open } from 'node:fs/promises';

export interface FileLine {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  /** Byte offset just past this line's newline. */
  readonly end: number;
}

export interface ReadLinesResult {
  /** Bytes after the last newline: an unfinished write, or a torn line after a crash. */
  readonly tailBytes: number;
  /** Offset just past the last newline. */
  readonly completeBytes: number;
}

const CHUNK = 1 << 20;

/**
 * Calls `onLine` for each newline-terminated line of `path`, reading 1 MiB at a time; stops
 * early when `onLine` returns false. Lines are decoded as UTF-8 once they are whole.
 */
export async function readLines(
  path: string,
  onLine: (line: FileLine) => boolean | undefined,
): Promise<ReadLinesResult> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let pending: Buffer[] = [];
    let position = 0;
    let lineStart = 0;
    let lineNo = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      let from = 0;
      for (;;) {
        const nl = buffer.indexOf(0x0a, from);
        if (nl < 0 || nl >= bytesRead) break;
        const piece = buffer.subarray(from, nl);
        const text = pending.length > 0 ? Buffer.concat([...pending, piece]).toString('utf8') : piece.toString('utf8');
        pending = [];
        lineNo++;
        const end = position + nl + 1;
        lineStart = end;
        if (onLine({ line: lineNo, text, end }) === false) return { tailBytes: 0, completeBytes: end };
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
