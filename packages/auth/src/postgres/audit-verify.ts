// `gatectl audit verify` on PostgreSQL: walks every writer's chain in seq order, in pages, and
// reports the first break: an edited row (hash), a deleted or inserted row (seq or prev), a
// row whose indexed columns disagree with its body, and rows deleted from the end (the chain
// head is ahead of the last row). A chain whose oldest rows retention dropped starts from the
// (seq, hash) kept in gh_audit_pruned.
import type { VerifyReport } from '../audit/audit-store.js';
import { GENESIS_HASH, hashRecord } from '../audit/chain-record.js';
import type { Sql } from './transactions.js';

const PAGE = 5_000;
/** As in the JSONL store's report: the rows shown with a break are cut to 64 KiB. */
const SHOWN_MAX = 64 * 1024;

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
    (
      await sql.query<{ writer: string; seq: string; hash: string }>('SELECT writer, seq, hash FROM gh_audit_head')
    ).rows.map((r) => [r.writer, r]),
  );
  const pruned = new Map(
    (
      await sql.query<{ writer: string; seq: string; hash: string }>('SELECT writer, seq, hash FROM gh_audit_pruned')
    ).rows.map((r) => [r.writer, r]),
  );
  const writers = new Set([
    ...heads.keys(),
    ...(await sql.query<{ writer: string }>('SELECT DISTINCT writer FROM gh_audit')).rows.map((r) => r.writer),
  ]);
  const notes: string[] = [];
  let events = 0;
  const fail = (
    writer: string,
    seq: number,
    reason: string,
    shown?: { broken: string; following?: string },
  ): VerifyReport => ({
    ok: false,
    files: writers.size,
    events,
    file: `writer ${writer}`,
    line: seq,
    reason,
    notes,
    ...(shown !== undefined ? { broken: shown.broken.slice(0, SHOWN_MAX) } : {}),
    ...(shown?.following !== undefined ? { following: shown.following.slice(0, SHOWN_MAX) } : {}),
  });
  // A bad row's event as stored, and the next row's of the same chain (as the web UI shows).
  const shownFrom = async (writer: string, rows: readonly Row[], i: number) => {
    const row = rows[i]!;
    const next =
      rows[i + 1]?.body ??
      (
        await sql.query<{ body: string }>(
          'SELECT body FROM gh_audit WHERE writer = $1 AND seq > $2 ORDER BY seq LIMIT 1',
          [writer, row.seq],
        )
      ).rows[0]?.body;
    return next === undefined ? { broken: row.body } : { broken: row.body, following: next };
  };
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
      for (const [i, row] of rows.entries()) {
        const seq = Number(row.seq);
        if (seq !== expected) {
          return fail(
            writer,
            seq,
            `seq ${seq} follows seq ${expected - 1}: ${seq - expected} row(s) were deleted`,
            await shownFrom(writer, rows, i),
          );
        }
        if (row.prev !== prev) {
          return fail(
            writer,
            seq,
            'prev does not link to the row before: rows were replaced',
            await shownFrom(writer, rows, i),
          );
        }
        if (hashRecord(seq, row.prev, row.body) !== row.hash) {
          return fail(
            writer,
            seq,
            'the hash does not match the content: this row was edited',
            await shownFrom(writer, rows, i),
          );
        }
        if (!columnsMatch(row, row.body)) {
          return fail(
            writer,
            seq,
            "the row's indexed columns disagree with its event: this row was edited",
            await shownFrom(writer, rows, i),
          );
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
      return fail(
        writer,
        last + 1,
        `the chain head says seq ${head.seq} but the rows end at ${last}: rows were deleted from the end`,
      );
    }
    if (Number(head.seq) < last || head.hash !== prev) {
      return fail(
        writer,
        Number(head.seq),
        'the chain head does not match the last row: the head or the rows were rewritten',
      );
    }
  }
  return { ok: true, files: writers.size, events, notes };
}
