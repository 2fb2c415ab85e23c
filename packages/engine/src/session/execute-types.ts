// After a live migration the new server has prepared each statement again but has never seen
// the parameter types the client bound on the old one. A client that executes with
// new-params-bound-flag = 0 relies on them (libmysqlclient sends types only when they change),
// so the first such execute of a moved statement is rewritten to carry the types last bound.
// https://mariadb.com/kb/en/com_stmt_execute/
//   [0x17][statement id 4][flags 1][iteration count 4][null bitmap (n+7)/8][new params bound 1]
//   [types 2n, only when bound][values]

/** The execute payload with `types` bound, or undefined when it binds types itself (or is short). */
export function withBoundTypes(payload: Buffer, types: Buffer): Buffer | undefined {
  const paramCount = types.length >> 1;
  if (paramCount === 0) return undefined;
  const flagAt = 10 + ((paramCount + 7) >> 3);
  if (payload.length <= flagAt || payload[flagAt] !== 0) return undefined;
  const out = Buffer.allocUnsafe(payload.length + types.length);
  payload.copy(out, 0, 0, flagAt);
  out[flagAt] = 1;
  types.copy(out, flagAt + 1);
  payload.copy(out, flagAt + 1 + types.length, flagAt + 1);
  return out;
}
