// Writing a parameter block: the inverse of param-block.ts.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html

import type { BufferWriter } from '../wire/index.js';
import { writeParamValue } from './binary-value-writer.js';
import { type ParamType, packParamType } from './param-type.js';
import type { ParamValue } from './param-value.js';

/** A parameter to encode. A null value sets its NULL bit; a long_data value writes nothing. */
export interface ParamInit {
  readonly type: ParamType;
  readonly name?: string;
  readonly value: ParamValue;
}

export interface ParamBlockWriteOptions {
  /** Write the types (new-params-bound = 1); false reuses the previous execute's. */
  readonly bindTypes: boolean;
  /** Write a length-encoded name after each type (CLIENT_QUERY_ATTRIBUTES). */
  readonly withNames: boolean;
}

export function writeParamBlock(w: BufferWriter, params: readonly ParamInit[], options: ParamBlockWriteOptions): void {
  const bitmap = Buffer.alloc(Math.ceil(params.length / 8));
  params.forEach((p, i) => {
    if (p.value === null) bitmap[i >>> 3]! |= 1 << (i & 7);
  });
  w.bytes(bitmap).u8(options.bindTypes ? 1 : 0);
  if (options.bindTypes) {
    for (const p of params) {
      w.u16(packParamType(p.type));
      if (options.withNames) w.lenencString(p.name ?? '');
    }
  }
  for (const p of params) writeParamValue(w, p.type, p.value);
}
