// The shapes the API answers with (see docs/audit.md for the event fields).
export interface Outcome {
  readonly kind: 'ok' | 'rows' | 'error';
  readonly affected_rows?: number;
  readonly rows?: number;
  readonly errno?: number;
  readonly sqlstate?: string;
  readonly message?: string;
  readonly warnings?: number;
}

export interface AuditEvent {
  readonly uid: string;
  readonly time: string;
  readonly event: string;
  readonly code: string;
  readonly sid: string;
  readonly user: string;
  readonly db_service: string;
  readonly db_user: string;
  readonly db_name: string;
  readonly client_addr: string;
  readonly engine_id: string;
  readonly query?: string;
  readonly outcome?: Outcome;
  readonly duration_ms?: number;
  readonly parameters?: unknown;
  readonly statement_id?: number;
  readonly schema_name?: string;
  readonly error?: { readonly message: string; readonly errno?: number; readonly sqlstate?: string };
  readonly [key: string]: unknown;
}

// The same types the server answers with; type-only imports, so nothing of the server's code
// reaches the browser.
export type { AuditPage as Page, AuditSessionSummary as SessionSummary } from '@gatehouse/auth';
