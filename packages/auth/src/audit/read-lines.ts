import { type ScanResult, scanLines } from './scan-lines.js';

export interface FileLine {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  /** Byte offset just past this line's newline. */
  readonly end: number;
}

export type ReadLinesResult = ScanResult;

/**
 * Calls `onLine` for each newline-terminated line of `path`, reading 1 MiB at a time; stops
 * early when `onLine` returns false. Lines are decoded as UTF-8 once they are whole.
 */
export async function readLines(
  path: string,
  onLine: (line: FileLine) => boolean | undefined,
): Promise<ReadLinesResult> {
  let lineNo = 0;
  return scanLines(path, (bytes, end) => onLine({ line: ++lineNo, text: bytes.toString('utf8'), end }));
}
