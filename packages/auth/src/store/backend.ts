// The storage seam under the users/roles/tokens/locks store. It is deliberately small and
// async so a PostgreSQL backend can implement it with one table (kind, name, revision, value):
// create = INSERT … ON CONFLICT DO NOTHING, put with a revision = UPDATE … WHERE revision = $,
// take = DELETE … RETURNING, withLock = pg_advisory_xact_lock, watch = LISTEN/NOTIFY.
// Values are plain JSON; validation happens in the layer above, on read and on write.

export const STORE_KINDS = ['users', 'roles', 'tokens', 'locks', 'proxies', 'engine_drains'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface StoredRecord {
  readonly kind: StoreKind;
  readonly name: string;
  /** Opaque; changes whenever the value changes. Pass it back for compare-and-swap. */
  readonly revision: string;
  readonly value: unknown;
  /** Where the record lives, for error messages (a file path, or "postgres:users/alice"). */
  readonly source: string;
}

export interface WatchOptions {
  readonly intervalMs?: number;
  readonly since?: string;
}

export interface StoreWatch {
  close(): void;
}

export interface StoreBackend {
  get(kind: StoreKind, name: string): Promise<StoredRecord | undefined>;
  list(kind: StoreKind): Promise<StoredRecord[]>;
  /** Creates the record only if absent; returns undefined when it already exists. */
  create(kind: StoreKind, name: string, value: unknown): Promise<StoredRecord | undefined>;
  /**
   * Creates or replaces. With `expectedRevision`, replaces only if the stored revision still
   * equals it, otherwise throws GH_ERR_STORE_CONFLICT (or GH_ERR_STORE_NOT_FOUND if it is gone).
   */
  put(kind: StoreKind, name: string, value: unknown, expectedRevision?: string): Promise<StoredRecord>;
  /** Deletes; with `expectedRevision`, only if unchanged. Returns false when there was nothing to delete. */
  delete(kind: StoreKind, name: string, expectedRevision?: string): Promise<boolean>;
  /** Removes and returns the record in one step: of concurrent takers exactly one gets it. */
  take(kind: StoreKind, name: string): Promise<StoredRecord | undefined>;
  /** Runs `fn` while holding the store-wide lock, for operations that read several objects. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** A token that changes whenever anything in the store changes (for reloads). */
  version(): Promise<string>;
  /**
   * Calls `onChange` after the store changed; the file backend polls version(). Pass `since`
   * (a version() read together with the state) so no change between the read and the watch is missed.
   */
  watch(onChange: () => void, options?: WatchOptions): StoreWatch;
  close(): Promise<void>;
}
