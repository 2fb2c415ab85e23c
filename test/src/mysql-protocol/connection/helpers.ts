// Test-only: run one text query on a logged-in upstream socket and read back the first row.
import type { Duplex } from 'node:stream';
import { BufferReader, PacketParser, serializePacket } from '@gatehouse/mysql-protocol';

export interface QueryResult {
  readonly rows: (string | null)[][];
  readonly error?: string;
}

/** Sends COM_QUERY and collects the text rows (CLIENT_DEPRECATE_EOF off). */
export function simpleQuery(socket: Duplex, leftover: Buffer, sql: string): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    const parser = new PacketParser();
    const rows: (string | null)[][] = [];
    let state: 'head' | 'columns' | 'rows' = 'head';
    const done = (result: QueryResult): undefined => {
      socket.off('data', onData);
      socket.pause();
      resolve(result);
      return undefined;
    };
    const onPacket = (payload: Buffer): undefined => {
      const first = payload[0];
      if (state === 'head') {
        if (first === 0xff) return done({ rows, error: payload.subarray(9).toString() });
        if (first === 0x00) return done({ rows });
        state = 'columns';
        return undefined;
      }
      if (state === 'columns') {
        if (first === 0xfe && payload.length < 9) state = 'rows';
        return undefined;
      }
      if (first === 0xfe && payload.length < 9) return done({ rows });
      if (first === 0xff) return done({ rows, error: payload.subarray(9).toString() });
      const r = new BufferReader(payload);
      const row: (string | null)[] = [];
      while (r.remaining > 0) row.push(r.lenencStringOrNull());
      rows.push(row);
      return undefined;
    };
    const onData = (chunk: Buffer): void => {
      try {
        parser.push(chunk, onPacket);
      } catch (err) {
        reject(err);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    if (leftover.length > 0) onData(leftover);
    socket.write(serializePacket(Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]), 0));
    socket.resume();
  });
}
