// The canonical JSON of a db.session.query event (RFC 8785, byte for byte what auth's
// canonicalJson writes, the text the hash chain covers), written straight from the few fields
// that change per query. The session's fields sit between them in key order; they are joined
// into fixed segments once per session (again after a USE or a change of user), so a query costs
// a handful of concatenations instead of a walk over an event object's keys. The event object
// is still built, for the store's dedupe by uid and for the tunnel, but it is not serialized
// again: the spool writes these bytes and the store chains them as they are.
import type { AuditSession } from './audit-session.js';
import type { AuditOutcome } from './event-fields.js';

/** The session's part of a query event, in the order of the keys around it. */
interface QuerySegments {
  readonly dbUser: string;
  readonly dbName: string;
  /** `{"client_addr":…,"code":` */
  readonly head: string;
  /** `,"db_name":…,"db_service":…,"db_user":…,"duration_ms":` */
  readonly beforeDuration: string;
  /** `,"engine_id":…,"event":"db.session.query","outcome":` */
  readonly beforeOutcome: string;
  /** `,"proxy_id":…,"query":` */
  readonly beforeQuery: string;
  /** `,"roles":[…],"sid":…,"time":` */
  readonly beforeTime: string;
  /** `,"user":…}` */
  readonly tail: string;
}

const segmentsBySession = new WeakMap<AuditSession, QuerySegments>();
const json = JSON.stringify;

function segmentsOf(s: AuditSession): QuerySegments {
  const known = segmentsBySession.get(s);
  if (known !== undefined && known.dbUser === s.dbUser && known.dbName === s.dbName) return known;
  let roles = '[';
  for (let i = 0; i < s.roles.length; i++) roles += (i > 0 ? ',' : '') + json(s.roles[i]);
  const made: QuerySegments = {
    dbUser: s.dbUser,
    dbName: s.dbName,
    head: `{"client_addr":${json(s.clientAddr)},"code":`,
    beforeDuration: `,"db_name":${json(s.dbName)},"db_service":${json(s.dbService)},"db_user":${json(s.dbUser)},"duration_ms":`,
    beforeOutcome: `,"engine_id":${json(s.engineId)},"event":"db.session.query","outcome":`,
    beforeQuery: `,"proxy_id":${json(s.proxyId)},"query":`,
    beforeTime: `,"roles":${roles}],"sid":${json(s.id)},"time":`,
    tail: `,"user":${json(s.user)}}`,
  };
  segmentsBySession.set(s, made);
  return made;
}

/** A count as canonical JSON writes it, or undefined for one it cannot hold. */
function num(n: number): string | undefined {
  return Number.isFinite(n) ? String(n) : undefined;
}

/** An outcome in canonical key order; undefined for a value canonical JSON cannot hold. */
export function outcomeJson(o: AuditOutcome): string | undefined {
  switch (o.kind) {
    case 'rows': {
      const rows = num(o.rows);
      if (rows === undefined) return undefined;
      if (o.warnings === undefined) return `{"kind":"rows","rows":${rows}}`;
      const warnings = num(o.warnings);
      return warnings === undefined ? undefined : `{"kind":"rows","rows":${rows},"warnings":${warnings}}`;
    }
    case 'ok': {
      const affected = num(o.affected_rows);
      if (affected === undefined) return undefined;
      let out = `{"affected_rows":${affected},"kind":"ok"`;
      if (o.last_insert_id !== undefined) {
        const id = num(o.last_insert_id);
        if (id === undefined) return undefined;
        out += `,"last_insert_id":${id}`;
      }
      if (o.warnings !== undefined) {
        const warnings = num(o.warnings);
        if (warnings === undefined) return undefined;
        out += `,"warnings":${warnings}`;
      }
      return `${out}}`;
    }
    case 'error': {
      const errno = num(o.errno);
      if (errno === undefined) return undefined;
      const sqlstate = o.sqlstate === undefined ? '' : `,"sqlstate":${json(o.sqlstate)}`;
      return `{"errno":${errno},"kind":"error","message":${json(o.message)}${sqlstate}}`;
    }
    default:
      return undefined;
  }
}

/** The fields of one query event that are not the session's. */
export interface QueryEventFields {
  readonly uid: string;
  readonly time: string;
  readonly code: string;
  readonly query: string;
  readonly queryLength: number;
  readonly queryTruncated: boolean;
  readonly outcome: AuditOutcome;
  readonly durationMs: number;
}

/**
 * The event's canonical JSON; undefined when a value is one canonical JSON cannot hold (the
 * spool then serializes the event object, and fails the same way the generic path would).
 */
export function queryEventJson(s: AuditSession, f: QueryEventFields): string | undefined {
  const outcome = outcomeJson(f.outcome);
  const duration = num(f.durationMs);
  const length = num(f.queryLength);
  if (outcome === undefined || duration === undefined || length === undefined) return undefined;
  const g = segmentsOf(s);
  return (
    `${g.head}${json(f.code)}${g.beforeDuration}${duration}${g.beforeOutcome}${outcome}${g.beforeQuery}` +
    `${json(f.query)},"query_length":${length},"query_truncated":${f.queryTruncated ? 'true' : 'false'}` +
    `${g.beforeTime}${json(f.time)},"uid":${json(f.uid)}${g.tail}`
  );
}
