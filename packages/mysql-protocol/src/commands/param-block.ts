// The parameter block COM_STMT_EXECUTE and COM_QUERY's query attributes share: a NULL bitmap,
// the new-params-bound flag, the types (with names under CLIENT_QUERY_ATTRIBUTES), the values.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query.html

import { readParamValue, skipParamValue } from './binary-value-reader.js';
import type { DecodedParam, PackedParamTypes, UndecodedReason } from './command-types.js';
import type { CommandLimits } from './limits.js';
import { unpackParamType } from './param-type.js';
import type { ParamValue } from './param-value.js';
import type { ValueCursor } from './value-cursor.js';

export interface ParamBlockOptions {
  /** Each type is followed by a length-encoded name (CLIENT_QUERY_ATTRIBUTES). */
  readonly withNames: boolean;
  /** Types bound by an earlier execute, for a packet whose new-params-bound flag is 0. */
  readonly previousTypes: PackedParamTypes | undefined;
  /** Parameters whose value came in COM_STMT_SEND_LONG_DATA, with the bytes received. */
  readonly longData: ReadonlyMap<number, number> | undefined;
  /** Walk every value even past the decode cap, because something follows the block. */
  readonly walkAll: boolean;
}

export interface ParamBlock {
  readonly newParamsBound: boolean;
  readonly boundTypes: PackedParamTypes | undefined;
  readonly params: DecodedParam[] | undefined;
  readonly undecoded: UndecodedReason | undefined;
}

const NOT_CAPTURED: ParamValue = Object.freeze({ kind: 'not_captured' });

function undecodedBlock(newParamsBound: boolean, boundTypes: PackedParamTypes | undefined, reason: UndecodedReason) {
  return { newParamsBound, boundTypes, params: undefined, undecoded: reason };
}

/**
 * Reads `count` types (and names); keeps the names of the first `maxNames`. Undefined when a
 * captured prefix ends inside them.
 */
function readTypes(cur: ValueCursor, count: number, withNames: boolean, maxNames: number, limits: CommandLimits) {
  const types = new Uint16Array(count);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (!cur.has(2, 'parameter type')) return undefined;
    types[i] = cur.u16();
    if (!withNames) continue;
    const length = cur.lenenc('parameter name length');
    if (length < 0 || !cur.has(length, 'parameter name')) return undefined;
    if (i < maxNames) names.push(cur.buf.toString('utf8', cur.pos, cur.pos + Math.min(length, limits.maxValueBytes)));
    cur.pos += length;
  }
  return { types, names };
}

/**
 * Reads a parameter block of `count` parameters at the cursor. Types and names must be whole
 * even in a captured prefix (they are small and come first); values may run past it.
 */
export function readParamBlock(
  cur: ValueCursor,
  count: number,
  options: ParamBlockOptions,
  limits: CommandLimits,
): ParamBlock {
  const bitmapLength = Math.ceil(count / 8);
  if (!cur.has(bitmapLength + 1, 'NULL bitmap')) return undecodedBlock(false, undefined, 'not_captured');
  const bitmapAt = cur.pos;
  cur.pos += bitmapLength;
  const newParamsBound = cur.u8() !== 0;
  const decodeCount = Math.min(count, limits.maxParams);
  let types = options.previousTypes;
  let names: string[] = [];
  if (newParamsBound) {
    // Check the minimum size first, so a huge declared count cannot size an allocation.
    const minimum = count * (options.withNames ? 3 : 2);
    if (cur.complete) cur.need(minimum, 'parameter types');
    else if (cur.remaining < minimum) return undecodedBlock(true, undefined, 'not_captured');
    const read = readTypes(cur, count, options.withNames, decodeCount, limits);
    if (read === undefined) return undecodedBlock(true, undefined, 'not_captured');
    ({ types, names } = read);
  } else if (types === undefined || types.length < count) {
    return undecodedBlock(false, undefined, 'unknown_types');
  }
  const boundTypes = newParamsBound ? types : undefined;
  const params: DecodedParam[] = [];
  const walk = options.walkAll ? count : decodeCount;
  for (let i = 0; i < walk; i++) {
    const isNull = (cur.buf[bitmapAt + (i >>> 3)]! & (1 << (i & 7))) !== 0;
    const longData = isNull ? undefined : options.longData?.get(i);
    const packed = types[i]!;
    if (i >= decodeCount) {
      if (!isNull && longData === undefined && !cur.exhausted) skipParamValue(cur, packed & 0xff);
      continue;
    }
    const type = unpackParamType(packed);
    let value: ParamValue;
    if (isNull) value = null;
    else if (longData !== undefined) value = { kind: 'long_data', length: longData };
    else if (cur.exhausted) value = NOT_CAPTURED;
    else value = readParamValue(cur, type, limits);
    const name = names[i];
    params.push(name === undefined ? { type, value } : { type, name, value });
  }
  return { newParamsBound, boundTypes, params, undecoded: undefined };
}
