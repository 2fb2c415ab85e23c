// Typed reads and writes over the untyped backend: every value is validated with zod on the
// way in and on the way out, and a bad stored value is reported with the file it came from.
import { formatSchemaIssues, GatehouseError } from '@gatehouse/common';
import type { z } from 'zod';
import type { StoreBackend, StoredRecord, StoreKind } from './backend.js';

export interface Typed<T> {
  readonly value: T;
  readonly revision: string;
}

export function decodeRecord<S extends z.ZodType>(schema: S, record: StoredRecord): Typed<z.infer<S>> {
  const result = schema.safeParse(record.value);
  if (!result.success) {
    throw new GatehouseError('GH_ERR_STORE_CORRUPT', `${record.source}: ${formatSchemaIssues(result.error)}`, {
      cause: result.error,
    });
  }
  if ('name' in (result.data as object) && (result.data as { name: unknown }).name !== record.name) {
    throw new GatehouseError(
      'GH_ERR_STORE_CORRUPT',
      `${record.source}: name: does not match the file name '${record.name}'`,
    );
  }
  return { value: result.data, revision: record.revision };
}

/** Validates before writing, so nothing invalid ever reaches the backend. */
export function encodeValue<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new GatehouseError('GH_ERR_CONFIG', `${what}: ${formatSchemaIssues(result.error)}`, { cause: result.error });
  }
  return result.data;
}

export async function getTyped<S extends z.ZodType>(
  backend: StoreBackend,
  schema: S,
  kind: StoreKind,
  name: string,
): Promise<Typed<z.infer<S>> | undefined> {
  const record = await backend.get(kind, name);
  return record && decodeRecord(schema, record);
}

export async function listTyped<S extends z.ZodType>(
  backend: StoreBackend,
  schema: S,
  kind: StoreKind,
): Promise<z.infer<S>[]> {
  return (await backend.list(kind)).map((r) => decodeRecord(schema, r).value);
}
