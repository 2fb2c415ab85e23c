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

export interface SessionSummary {
  readonly sid: string;
  readonly time: string;
  readonly user: string;
  readonly db_service: string;
  readonly db_user: string;
  readonly db_name: string;
  readonly client_addr: string;
  readonly program: string;
  readonly engine_id: string;
  readonly success: boolean;
  readonly ended: boolean;
  readonly duration_ms?: number;
  readonly queries: number;
  readonly errors: number;
  readonly error?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}
