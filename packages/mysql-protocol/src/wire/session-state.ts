// Session state changes carried by OK packets when CLIENT_SESSION_TRACK is on and the server
// sets SERVER_SESSION_STATE_CHANGED.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html
// https://mariadb.com/kb/en/ok_packet/#session-change-type
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { SessionTrack } from './constants.js';

export type SessionStateChange =
  | { readonly kind: 'system-variable'; readonly name: string; readonly value: string }
  | { readonly kind: 'schema'; readonly schema: string }
  | { readonly kind: 'state-change'; readonly changed: boolean }
  | { readonly kind: 'gtids'; readonly encoding: number; readonly gtids: string }
  | { readonly kind: 'transaction-characteristics'; readonly characteristics: string }
  | { readonly kind: 'transaction-state'; readonly state: string }
  | { readonly kind: 'unknown'; readonly type: number; readonly data: Buffer };

/** Reads the entries of a session-state-info block (the bytes inside its lenenc string). */
export function parseSessionStateChanges(block: Buffer): SessionStateChange[] {
  const out: SessionStateChange[] = [];
  const outer = new BufferReader(block);
  const inner = new BufferReader();
  while (outer.remaining > 0) {
    const type = outer.u8();
    const data = outer.lenencBytes();
    inner.reset(data);
    switch (type) {
      case SessionTrack.SystemVariables:
        // MariaDB may pack several name/value pairs into one entry.
        do {
          out.push({ kind: 'system-variable', name: inner.lenencString(), value: inner.lenencString() });
        } while (inner.remaining > 0);
        break;
      case SessionTrack.Schema:
        out.push({ kind: 'schema', schema: inner.lenencString() });
        break;
      case SessionTrack.StateChange:
        // The entry's data is the flag itself ('1'), not a length-encoded string inside it:
        // MariaDB sends 02 01 31.
        out.push({ kind: 'state-change', changed: data.length === 1 && data[0] === 0x31 });
        break;
      case SessionTrack.Gtids:
        out.push({ kind: 'gtids', encoding: inner.u8(), gtids: inner.lenencString() });
        break;
      case SessionTrack.TransactionCharacteristics:
        out.push({ kind: 'transaction-characteristics', characteristics: inner.lenencString() });
        break;
      case SessionTrack.TransactionState:
        out.push({ kind: 'transaction-state', state: inner.lenencString() });
        break;
      default:
        out.push({ kind: 'unknown', type, data });
    }
  }
  return out;
}

/** Writes the entries as a session-state-info block (without its outer lenenc length). */
export function writeSessionStateChanges(writer: BufferWriter, changes: readonly SessionStateChange[]): void {
  const entry = new BufferWriter(64);
  for (const c of changes) {
    entry.reset();
    writeEntry(entry, c);
    writer.u8(entryType(c)).lenencBytes(entry.view());
  }
}

function entryType(c: SessionStateChange): number {
  switch (c.kind) {
    case 'system-variable':
      return SessionTrack.SystemVariables;
    case 'schema':
      return SessionTrack.Schema;
    case 'state-change':
      return SessionTrack.StateChange;
    case 'gtids':
      return SessionTrack.Gtids;
    case 'transaction-characteristics':
      return SessionTrack.TransactionCharacteristics;
    case 'transaction-state':
      return SessionTrack.TransactionState;
    case 'unknown':
      return c.type;
  }
}

function writeEntry(w: BufferWriter, c: SessionStateChange): void {
  switch (c.kind) {
    case 'system-variable':
      w.lenencString(c.name).lenencString(c.value);
      return;
    case 'schema':
      w.lenencString(c.schema);
      return;
    case 'state-change':
      w.string(c.changed ? '1' : '0');
      return;
    case 'gtids':
      w.u8(c.encoding).lenencString(c.gtids);
      return;
    case 'transaction-characteristics':
      w.lenencString(c.characteristics);
      return;
    case 'transaction-state':
      w.lenencString(c.state);
      return;
    case 'unknown':
      w.bytes(c.data);
      return;
  }
}
