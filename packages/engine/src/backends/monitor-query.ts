// The monitor's few text-protocol queries on a connection it logged in itself: COM_QUERY, then
// the column names and the rows as strings. The monitor asks for small results a few times per
// interval, so this favours plainness over the relay's zero-copy walking.
// https://mariadb.com/kb/en/result-set-packets/

import type { Duplex } from 'node:stream';
import {
  BufferReader,
  Capability,
  PacketHeader,
  PacketParser,
  parseErrPacket,
  serializePacket,
  serializeQuery,
  type UpstreamConnection,
} from '@gatehouse/mysql-protocol';
import { EngineError } from '../errors.js';

export type MonitorRow = Readonly<Record<string, string | null>>;

/** A query the server refused: its errno, for callers that fall back (1064 on an old syntax). */
export class MonitorQueryError extends EngineError {
  constructor(errno: number, message: string) {
    super('GH_ERR_ENGINE_MONITOR', message, { errno, sqlState: 'HY000' });
  }
}

/**
 * Reads a column definition's name (catalog, schema, table, org_table, then name) and its type
 * byte (after org_name, the fixed-length fields' length, charset and column length).
 */
function readColumn(payload: Buffer, reader: BufferReader): { name: string; type: number } {
  reader.reset(payload);
  for (let i = 0; i < 4; i++) reader.lenencBytes();
  const name = reader.lenencString();
  reader.lenencBytes();
  reader.lenencInt();
  reader.u16();
  reader.u32();
  const type = reader.u8();
  reader.release();
  return { name, type };
}

function isEof(payload: Buffer): boolean {
  return payload[0] === PacketHeader.Eof && payload.length < 9;
}

/** A logged-in leg: its plain packet stream (a compressed leg's decompressed side) and capabilities. */
export type QueryLeg = Pick<UpstreamConnection, 'capabilities'> & { readonly socket: Duplex };

/**
 * Runs `sql` and returns the rows of its (single) result set; an OK gives no rows. `columnTypes`,
 * when given, receives each column's type byte by name (a user variable's type shows only there).
 */
export function queryRows(
  upstream: QueryLeg,
  sql: string,
  timeoutMs: number,
  columnTypes?: Map<string, number>,
): Promise<MonitorRow[]> {
  const { socket, capabilities } = upstream;
  const deprecateEof = (capabilities & Capability.DeprecateEof) !== 0;
  const parser = new PacketParser();
  const reader = new BufferReader();
  return new Promise<MonitorRow[]>((resolve, reject) => {
    const columns: string[] = [];
    const rows: MonitorRow[] = [];
    let columnCount = -1;
    let phase: 'head' | 'columns' | 'rows' = 'head';
    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.pause();
      if (err) reject(err);
      else resolve(rows);
    };
    const onPacket = (payload: Buffer): void => {
      if (phase === 'head') {
        if (payload[0] === PacketHeader.Ok) {
          finish(undefined);
        } else if (payload[0] === PacketHeader.Err) {
          const err = parseErrPacket(payload, capabilities);
          const errno = err.kind === 'err' ? err.errno : 0;
          const message = err.kind === 'err' ? err.message : 'progress report';
          finish(new MonitorQueryError(errno, `${sql}: ${message}`));
        } else {
          reader.reset(payload);
          columnCount = reader.lenencInt();
          reader.release();
          phase = 'columns';
        }
      } else if (phase === 'columns') {
        if (columns.length < columnCount) {
          const column = readColumn(payload, reader);
          columns.push(column.name);
          columnTypes?.set(column.name, column.type);
          if (columns.length === columnCount && deprecateEof) phase = 'rows';
        } else phase = 'rows'; // the EOF after the column definitions
      } else if (deprecateEof ? payload[0] === PacketHeader.Eof : isEof(payload)) {
        finish(undefined);
      } else if (payload[0] === PacketHeader.Err) {
        finish(new MonitorQueryError(0, `${sql}: error in the rows`));
      } else {
        const row: Record<string, string | null> = {};
        reader.reset(payload);
        for (const name of columns) row[name] = reader.lenencStringOrNull();
        reader.release();
        rows.push(row);
      }
    };
    const onData = (chunk: Buffer): void => {
      try {
        parser.push(chunk, onPacket);
      } catch (err) {
        finish(err as Error);
      }
    };
    const onError = (err: Error): void => finish(err);
    const onClose = (): void => finish(new Error(`the server closed the connection during '${sql}'`));
    const timer = setTimeout(() => finish(new Error(`'${sql}' took longer than ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(serializePacket(serializeQuery(sql, { capabilities }), 0));
    socket.resume();
  });
}
