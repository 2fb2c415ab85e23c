// The contract every audit backend keeps: the JSONL files here, PostgreSQL later.
import type { AuditEvent } from '@gatehouse/common';

export interface AppendResult {
  /** Events newly stored. */
  readonly appended: number;
  /** Events whose uid was already stored; nothing was written for them. */
  readonly duplicates: number;
}

export interface AppendOptions {
  /**
   * The events are known to match the schema: built by this process's own audit layer, or
   * already validated where they came in (the audit.append request schema). The store then
   * skips validating them again. Events from anywhere else must leave this unset.
   */
  readonly validated?: boolean;
  /**
   * canonicalEventJson(events[i]) for each event, already computed by the caller in this
   * process (the engine's spool wrote these bytes): the store hashes and writes them as they
   * are instead of serializing each event again. Only with `validated`; a backend may ignore it.
   */
  readonly canonical?: readonly string[] | undefined;
}

export interface AuditSearchFilter {
  /** Events at or after this time. */
  readonly since?: Date;
  /** Events before this time. */
  readonly until?: Date;
  readonly user?: string;
  /** Matches the db service or the db name. */
  readonly db?: string;
  /** An event type, or a prefix ending in '*' such as "db.session.mysql.*". */
  readonly type?: string;
  /** A session id. */
  readonly session?: string;
  /** Case-insensitive text to find in the query text. */
  readonly query?: string;
  /** At most this many events (default 1000). With order 'desc', the newest ones. */
  readonly limit?: number;
  /** Oldest first ('asc', the default) or newest first. */
  readonly order?: 'asc' | 'desc';
}

/** A filter for one page: `cursor` is the `next` of the page before (opaque to callers). */
export interface AuditPageFilter extends AuditSearchFilter {
  readonly cursor?: string;
}

/** One page of a keyset-paginated listing; `next` is absent on the last page. */
export interface AuditPage<T> {
  readonly items: T[];
  readonly next?: string;
}

/**
 * One session as the review lists it: its start event's who/where, and what followed. `user`,
 * `db`, `since` and `until` select sessions by their start; `query` and `type` keep the sessions
 * that have at least one event matching them.
 */
export interface AuditSessionSummary {
  readonly sid: string;
  /** The start event's time. */
  readonly time: string;
  readonly user: string;
  readonly roles: readonly string[];
  readonly db_service: string;
  readonly db_user: string;
  readonly db_name: string;
  readonly client_addr: string;
  /** The client's program: its `_program_name` (or libmariadb's `program_name`, `_client_name`) attribute, or "". */
  readonly program: string;
  readonly engine_id: string;
  readonly proxy_id: string;
  /** Whether the login succeeded. */
  readonly success: boolean;
  /** Whether the end event was seen (false: still open, or the log was cut). */
  readonly ended: boolean;
  readonly end_time?: string;
  readonly duration_ms?: number;
  /** Events after the start other than the end (queries, statements, commands). */
  readonly queries: number;
  /** Those of them that failed or were denied. */
  readonly errors: number;
  /** Why the login failed, or why the gateway closed the session. */
  readonly error?: string;
}

export type VerifyReport =
  | {
      readonly ok: true;
      readonly files: number;
      readonly events: number;
      /** Something worth knowing that is not tampering, e.g. an unfinished last line. */
      readonly notes: readonly string[];
    }
  | {
      readonly ok: false;
      readonly files: number;
      readonly events: number;
      /** The first bad file and line (1-based; 0 when the problem is the file as a whole). */
      readonly file: string;
      readonly line: number;
      readonly reason: string;
      readonly notes: readonly string[];
      /** The bad line as stored, and the line after it (absent at the end of the log), cut to 64 KiB. */
      readonly broken?: string;
      readonly following?: string;
    };

export interface AuditStore {
  /**
   * Stores events in order and resolves once they are durable (fsynced, or committed).
   * A uid already stored is skipped, so redelivery is safe. Rejects with
   * GH_ERR_AUDIT_INVALID_EVENT before storing anything if an event fails its schema (unless
   * `options.validated` says they were checked already).
   */
  append(events: readonly AuditEvent[], options?: AppendOptions): Promise<AppendResult>;
  search(filter: AuditSearchFilter): Promise<AuditEvent[]>;
  /** One page of search results, newest first unless `order` is 'asc', with a keyset cursor. */
  searchPage(filter: AuditPageFilter): Promise<AuditPage<AuditEvent>>;
  /** One page of sessions, newest first, with a keyset cursor. */
  sessions(filter: AuditPageFilter): Promise<AuditPage<AuditSessionSummary>>;
  /** Checks the hash chain from the first event to the last. */
  verify(): Promise<VerifyReport>;
  close(): Promise<void>;
}
