// Walks the whole chain and reports the first line that breaks it, and why.
import type { VerifyReport } from './audit-store.js';
import { checkRecordHash, GENESIS_HASH, parseRecordLine } from './chain-record.js';
import { HEAD_FILE, listLogFiles, readHead } from './log-files.js';
import { readLines } from './read-lines.js';

const CLIP = 64 * 1024;

function clip(text: string): string {
  return text.length > CLIP ? text.slice(0, CLIP) : text;
}

export async function verifyAuditLog(dir: string): Promise<VerifyReport> {
  const files = await listLogFiles(dir);
  const head = await readHead(dir);
  const notes: string[] = [];
  let expectedSeq = 1;
  let lastHash = GENESIS_HASH;
  let events = 0;
  let failure: { file: string; line: number; reason: string; broken?: string; following?: string } | undefined;
  // After the first bad line, one more is read: the review shows the event that follows it.
  let wantFollowing = false;
  const hashes = new Map<number, string>();

  for (const [i, file] of files.entries()) {
    const result = await readLines(file.path, ({ line, text }) => {
      if (wantFollowing && failure) {
        failure.following = clip(text);
        return false;
      }
      const fail = (reason: string): true => {
        failure = { file: file.name, line, reason, broken: clip(text) };
        wantFollowing = true;
        return true;
      };
      const record = parseRecordLine(text);
      if (!record) return fail('the line is not a valid audit record (not JSON, or fields missing)');
      if (!checkRecordHash(record)) return fail('the hash does not match the content: this line was edited');
      if (record.seq !== expectedSeq) {
        if (record.seq < expectedSeq)
          return fail(`seq ${record.seq} follows seq ${expectedSeq - 1}: lines were reordered, duplicated or inserted`);
        const gap = record.seq - expectedSeq;
        return fail(
          `seq jumps from ${expectedSeq - 1} to ${record.seq}: ${gap} event(s) were deleted here, or lines were reordered`,
        );
      }
      if (record.prev !== lastHash)
        return fail("prev does not match the previous line's hash: a line before this one was changed or inserted");
      lastHash = record.hash;
      if (head && record.seq === head.seq) hashes.set(record.seq, record.hash);
      expectedSeq++;
      events++;
      return true;
    });
    if (failure && (!wantFollowing || failure.following !== undefined || i === files.length - 1)) {
      return { ok: false, files: files.length, events, ...failure, notes };
    }
    if (failure) continue;
    if (result.tailBytes > 0) {
      if (i === files.length - 1)
        notes.push(`${file.name} ends with an unfinished line of ${result.tailBytes} bytes (ignored)`);
      else
        return {
          ok: false,
          files: files.length,
          events,
          file: file.name,
          line: 0,
          reason: 'the file ends mid-line',
          notes,
        };
    }
  }
  if (failure) return { ok: false, files: files.length, events, ...failure, notes };
  if (head) {
    if (head.seq > events) {
      const last = files.at(-1)?.name ?? '(no files)';
      const reason = `HEAD.json records seq ${head.seq} but the log ends at seq ${events}: events were deleted from the end`;
      return { ok: false, files: files.length, events, file: last, line: 0, reason, notes };
    }
    if (head.seq > 0 && hashes.get(head.seq) !== head.hash) {
      const reason = `the event at seq ${head.seq} does not have the hash HEAD.json records: the log was rewritten`;
      return { ok: false, files: files.length, events, file: HEAD_FILE, line: 0, reason, notes };
    }
  } else if (events > 0) {
    notes.push('HEAD.json is missing, so deletions at the very end cannot be detected');
  }
  return { ok: true, files: files.length, events, notes };
}
