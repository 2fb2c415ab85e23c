// Opening the log: find the end of the chain, repair a torn tail, and remember recent uids.
import { open } from 'node:fs/promises';
import { AuditFailure } from '@gatehouse/common';
import { GENESIS_HASH, parseRecordLine } from './chain-record.js';
import { type LogFile, listLogFiles, readHead } from './log-files.js';
import { readLines } from './read-lines.js';
import type { RecentUids } from './recent-uids.js';

export interface TailRepair {
  readonly file: string;
  /** Bytes cut from the end of the file. */
  readonly bytes: number;
  /** Whole lines among them that did not parse (torn by a crash mid-write). */
  readonly lines: number;
}

export interface OpenedLog {
  readonly files: LogFile[];
  readonly seq: number;
  readonly hash: string;
  /** Size of the newest file after any repair. */
  readonly size: number;
  readonly repair?: TailRepair;
}

/**
 * Reads the newest files back to front until the chain's end is known and `uids` holds the
 * most recent ones. The newest file loses any unfinished line and any unparsable lines at its
 * very end: that is what a crash during a group write leaves. Lines HEAD.json counts were
 * fsynced whole, so damage there is not a torn write: opening refuses rather than cut evidence.
 * A bad line followed by good ones is damage too.
 */
export async function openLog(dir: string, uids: RecentUids, uidWindow: number): Promise<OpenedLog> {
  const files = await listLogFiles(dir);
  let seq = 0;
  let hash = GENESIS_HASH;
  let size = 0;
  let repair: TailRepair | undefined;
  let pendingCut: { file: LogFile; goodEnd: number; bytes: number; lines: number } | undefined;
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i]!;
    const found: string[] = [];
    let last: { seq: number; hash: string } | undefined;
    let goodEnd = 0;
    let badLines = 0;
    const result = await readLines(file.path, ({ text, end }) => {
      const record = parseRecordLine(text);
      if (!record) {
        badLines++;
        return true;
      }
      if (badLines > 0 && i === files.length - 1) {
        throw new AuditFailure('GH_ERR_AUDIT_CORRUPT', `audit log ${file.name} has damaged lines before its last line`);
      }
      found.push(record.event.uid);
      last = { seq: record.seq, hash: record.hash };
      goodEnd = end;
      return true;
    });
    if (i === files.length - 1) {
      size = goodEnd;
      const cut = result.completeBytes + result.tailBytes - goodEnd;
      if (cut > 0) pendingCut = { file, goodEnd, bytes: cut, lines: badLines };
    }
    if (last && seq === 0) {
      seq = last.seq;
      hash = last.hash;
    }
    const room = uidWindow - uids.size;
    if (room > 0) for (const uid of found.slice(-room)) uids.add(uid);
    if (seq > 0 && uids.size >= uidWindow) break;
  }
  if (pendingCut) {
    const head = await readHead(dir);
    if (head && head.seq > seq) {
      throw new AuditFailure(
        'GH_ERR_AUDIT_CORRUPT',
        `audit log ${pendingCut.file.name} is damaged at its end, before seq ${head.seq} that HEAD.json records as written; run gatectl audit verify`,
      );
    }
    const handle = await open(pendingCut.file.path, 'r+');
    try {
      await handle.truncate(pendingCut.goodEnd);
      await handle.sync();
    } finally {
      await handle.close();
    }
    repair = { file: pendingCut.file.name, bytes: pendingCut.bytes, lines: pendingCut.lines };
  }
  return { files, seq, hash, size, ...(repair ? { repair } : {}) };
}
