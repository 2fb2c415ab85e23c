// The first seq of each log file, so a page can skip whole files by its cursor. A file's first
// line never changes once written, so the answer is cached per path.
import { open } from 'node:fs/promises';
import type { LogFile } from './log-files.js';
import { readLineSeq } from './scan-lines.js';

const cache = new Map<string, number>();
const HEAD_BYTES = 64;

async function readFirstSeq(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const seq = readLineSeq(buffer.subarray(0, bytesRead));
    return Number.isNaN(seq) ? undefined : seq;
  } finally {
    await handle.close();
  }
}

/** Each file with the first seq it holds (undefined for an empty or unreadable start). */
export async function withFirstSeqs(files: readonly LogFile[]): Promise<Array<LogFile & { firstSeq?: number }>> {
  const out: Array<LogFile & { firstSeq?: number }> = [];
  for (const file of files) {
    let seq = cache.get(file.path);
    if (seq === undefined) {
      seq = await readFirstSeq(file.path);
      if (seq !== undefined) cache.set(file.path, seq);
    }
    out.push(seq === undefined ? file : { ...file, firstSeq: seq });
  }
  return out;
}
