// The label for an ERR packet: the SQLSTATE class (its first two characters, e.g. 42 for
// syntax and access rules, 23 for constraints, 40 for deadlocks and rollbacks, HY for the rest).
// A bounded set, unlike errno, and it groups what an operator alerts on.
// https://mariadb.com/kb/en/sqlstate/
const CLASS = /^[0-9A-Z]{2}/;

export function errClassOf(sqlState: string): string {
  const match = CLASS.exec(sqlState);
  return match === null ? 'none' : match[0];
}
