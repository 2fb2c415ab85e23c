// The audit directory: audit-YYYY-MM-DD-NNNN.jsonl files (UTC write date, then a counter for
// size rotation), read in name order, plus HEAD.json with the last committed seq and hash.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = /^audit-(\d{4}-\d{2}-\d{2})-(\d{4})\.jsonl$/;
export const HEAD_FILE = 'HEAD.json';

export interface LogFile {
  readonly name: string;
  readonly path: string;
  /** UTC date the file was written on, YYYY-MM-DD. */
  readonly date: string;
  readonly index: number;
}

/** Where the audit log of a data directory lives. */
export function resolveAuditDir(dataDir: string): string {
  return join(dataDir, 'audit');
}

export function logFileName(date: string, index: number): string {
  return `audit-${date}-${String(index).padStart(4, '0')}.jsonl`;
}

export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The log files of `dir` in order, oldest first; none when the directory does not exist. */
export async function listLogFiles(dir: string): Promise<LogFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: LogFile[] = [];
  for (const name of names.sort()) {
    const m = FILE.exec(name);
    if (m) files.push({ name, path: join(dir, name), date: m[1]!, index: Number(m[2]) });
  }
  return files;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** HEAD.json: the last seq and hash known to be durable; undefined when missing or unreadable. */
export async function readHead(dir: string): Promise<ChainHead | undefined> {
  try {
    const head = JSON.parse(await readFile(join(dir, HEAD_FILE), 'utf8')) as ChainHead;
    return typeof head.seq === 'number' && typeof head.hash === 'string' ? head : undefined;
  } catch {
    return undefined;
  }
}
