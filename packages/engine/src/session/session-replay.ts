// Turns a SessionState into the SQL that rebuilds it on a fresh connection as the same db user
// (live migration, docs/migration.md): the system variables the session changed, its schema,
// its user variables, whose values are read back from the old connection first (READ_BACK is
// that query), and autocommit. Prepared statements are prepared again with COM_STMT_PREPARE by
// the migration itself, since their ids must be mapped.
import { ColumnType } from '@gatehouse/mysql-protocol';
import type { MonitorRow } from '../backends/monitor-query.js';
import type { SessionState } from './session-state.js';

/** Variables the server sets per connection or per statement: never replayed. */
const NOT_REPLAYED = new Set([
  'autocommit', // replayed last, from the status flags
  'error_count',
  'identity',
  'in_transaction',
  'insert_id',
  'last_gtid',
  'last_insert_id',
  'pseudo_thread_id',
  'rand_seed1',
  'rand_seed2',
  'server_id',
  'timestamp',
  'warning_count',
]);

/** Character sets and collations first: later string values are read in them. */
const CHARSETS = /^character_set_/;
const COLLATIONS = /^collation_/;

function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

function quoteString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** `@name`, quoted only when it must be (some SQL readers take no quoted user variables). */
function userVariable(name: string): string {
  return /^[\w$.]+$/.test(name) ? `@${name}` : `@${quoteIdentifier(name)}`;
}

const NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** One system variable's value as SQL: numbers bare, anything else a string. */
function variableValue(value: string): string {
  return NUMBER.test(value) ? value : quoteString(value);
}

/**
 * The query that reads the user variables back: per variable `v<i>` (its bytes as hex), `c<i>`
 * (its collation: 'binary' for numbers and byte strings), `n<i>` (1 when NULL) and `t<i>` (the
 * variable itself: the type of that column in the result's metadata tells an integer, a decimal
 * and a double from a string; MariaDB's JSON functions see every user variable as a string).
 * Undefined when there are none.
 */
export function readBackQuery(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const columns = names.map((name, i) => {
    const v = userVariable(name);
    return `HEX(CAST(${v} AS BINARY)) AS v${i}, COLLATION(${v}) AS c${i}, ${v} IS NULL AS n${i}, ${v} AS t${i}`;
  });
  return `SELECT ${columns.join(', ')}`;
}

const INTEGER_TYPES: ReadonlySet<number> = new Set([
  ColumnType.Tiny,
  ColumnType.Short,
  ColumnType.Long,
  ColumnType.Int24,
  ColumnType.LongLong,
]);
const DECIMAL_TYPES: ReadonlySet<number> = new Set([ColumnType.Decimal, ColumnType.NewDecimal]);
const DOUBLE_TYPES: ReadonlySet<number> = new Set([ColumnType.Float, ColumnType.Double]);

/** A user variable's value, from one READ_BACK row, as SQL that gives it the same type. */
function userValue(row: MonitorRow, i: number, columnTypes: ReadonlyMap<string, number> | undefined): string {
  if (row[`n${i}`] === '1') return 'NULL';
  const hex = row[`v${i}`] ?? '';
  const collation = row[`c${i}`] ?? 'binary';
  const bytes = Buffer.from(hex, 'hex');
  if (collation === 'binary') {
    const text = bytes.toString('latin1');
    const type = columnTypes?.get(`t${i}`);
    if (type !== undefined && NUMBER.test(text)) {
      // A bare integer or decimal literal has that type; a double needs an exponent.
      if (INTEGER_TYPES.has(type) || DECIMAL_TYPES.has(type)) return text;
      if (DOUBLE_TYPES.has(type)) return /e/i.test(text) ? text : `${text}e0`;
    }
    return `X'${hex}'`;
  }
  const charset = collation.slice(0, Math.max(collation.indexOf('_'), 0)) || 'utf8mb4';
  return `CONVERT(X'${hex}' USING ${charset}) COLLATE ${collation}`;
}

/**
 * The statements that rebuild `state` on a new connection, in order. `columnTypes`: the read-back
 * query's column types (queryRows), which keep a number a number; without them numbers come
 * back as byte strings.
 */
export function replayStatements(
  state: SessionState,
  userValues: MonitorRow | undefined,
  columnTypes?: ReadonlyMap<string, number>,
): string[] {
  const out: string[] = [];
  const charsets: string[] = [];
  const collations: string[] = [];
  const later: string[] = [];
  for (const [name, value] of state.variables) {
    if (NOT_REPLAYED.has(name)) continue;
    const assignment = `${name} = ${variableValue(value)}`;
    // A character set resets its collation to the default one: collations come after them.
    if (CHARSETS.test(name)) charsets.push(assignment);
    else if (COLLATIONS.test(name)) collations.push(assignment);
    else later.push(assignment);
  }
  const assignments = [...charsets, ...collations, ...later];
  if (assignments.length > 0) out.push(`SET SESSION ${assignments.join(', ')}`);
  if (state.schema !== '') out.push(`USE ${quoteIdentifier(state.schema)}`);
  const names = [...state.userVariables];
  if (names.length > 0 && userValues !== undefined) {
    out.push(
      `SET ${names.map((name, i) => `${userVariable(name)} = ${userValue(userValues, i, columnTypes)}`).join(', ')}`,
    );
  }
  // SQL-level prepared statements, as the client prepared them (in the schema and sql_mode above).
  out.push(...state.sqlPrepared.values());
  out.push(`SET SESSION autocommit = ${state.autocommit ? 1 : 0}`);
  return out;
}
