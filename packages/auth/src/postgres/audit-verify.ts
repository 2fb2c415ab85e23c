// `gatectl audit verify` on PostgreSQL: walks every writer's chain in seq order, in pages, and
// reports the first break: an edited row (hash), a deleted or inserted row (seq or prev), a
// row whose indexed columns disagree with its body, and rows deleted from the end (the chain
// head is ahead of the last row). A chain whose oldest rows retention dropped starts from the
// (seq, hash) kept in gh_audit_pruned.
import type { VerifyReport } from '../audit/audit-store.js';
import { GENESIS_HASH, hashRecord } from '../audit/chain-record.js';
import type { Sql } from './transactions.js';

const PAGE = 5_000;

interface Row {
  seq: string;
  uid: string;
  time: Date;
  event_type: string;
  usr: string;
  sid: string;
  prev: string;
  hash: string;
  body: string;
}

function columnsMatch(row: Row, body: string): boolean {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return false;
  }
  return (
    event.uid === row.uid &&
    event.event === row.event_type &&
    event.user === row.usr &&
    event.sid === row.sid &&
    Date.parse(String(event.time)) === row.time.getTime()
  );
}

export async function verifyPostgresAudit(sql: Sql): Promise<VerifyReport> {
  const heads = new Map(
    (await sql.query<{ writer: string; seq: string; hash: string }>('SELECT writer, seq, hash FROM gh_audit_head')).rows.map(
      (r) => [r.writer, r],
    ),
  );
  const pruned = new Map(
    (await sql.query<{ writer: string; seq: string; hash: string }>('SELECT writer, seq, hash FROM gh_audit_pruned')).rows.map(
      (r) => [r.writer, r],
    ),
  );
  const writers = new Set([
    ...heads.keys(),
    ...(await sql.query<{ writer: string }>('SELECT DISTINCT writer FROM gh_audit')).rows.map((r) => r.writer),
  ]);
  const notes: string[] = [];
  let events = 0;
  const fail = (writer: string, seq: number, reason: string): VerifyReport => ({
    ok: false,
    files: writers.size,
    events,
    file: `writer ${writer}`,
    line: seq,
    reason,
    notes,
  });
  for (const writer of [...writers].sort()) {
    const anchor = pruned.get(writer);
    let expected = anchor ? Number(anchor.seq) + 1 : 1;
    let prev = anchor ? anchor.hash : GENESIS_HASH;
    if (anchor) notes.push(`writer ${writer}: seq 1 to ${anchor.seq} were dropped by retention`);
    for (;;) {
      const { rows } = await sql.query<Row>(
        `SELECT seq, uid, time, event_type, usr, sid, prev, hash, body FROM gh_audit
         WHERE writer = $1 AND seq >= $2 ORDER BY seq LIMIT ${PAGE}`,
        [writer, expected],
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expected) {
          return fail(writer, seq, `seq ${seq} follows seq ${expected - 1}: ${seq - expected} row(s) were deleted`);
        }
        if (row.prev !== prev) return fail(writer, seq, 'prev does not link to the row before: rows were replaced');
        if (hashRecord(seq, row.prev, row.body) !== row.hash) {
          return fail(writer, seq, 'the hash does not match the content: this row was edited');
        }
        if (!columnsMatch(row, row.body)) {
          return fail(writer, seq, "the row's indexed columns disagree with its event: this row was edited");
        }
        prev = row.hash;
        expected++;
        events++;
      }
      if (rows.length < PAGE) break;
    }
    const last = expected - 1;
    const head = heads.get(writer);
    if (!head) return fail(writer, last, 'the chain has rows but no chain head: the head row was deleted');
    if (Number(head.seq) > last) {
      return fail(writer, last + 1, `the chain head says seq ${head.seq} but the rows end at ${last}: rows were deleted from the end`);
    }
    if (Number(head.seq) < last || head.hash !== prev) {
      return fail(writer, Number(head.seq), 'the chain head does not match the last row: the head or the rows were rewritten');
    }
  }
  return { ok: true, files: writers.size, events, notes };
}
