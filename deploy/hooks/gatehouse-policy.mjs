// An example hook module for `engine.hooks` (docs/hooks.md). It runs in the engine's hook
// worker thread; each export is called with a time budget (engine.hook_timeout).
//
//   engine:
//     hooks: [./hooks/gatehouse-policy.mjs]
//     hook_timeout: 250ms
//
// What it does:
//   - DROP (a DROP statement, COM_DROP_DB) is refused outside the maintenance window;
//   - sessions and queries from the tagged client programs carry a `client_program` field in
//     the audit log (db.session.start and db.session.query), so an auditor can find them.
// Both settings have defaults here and may be set in the engine's environment:
//   GATEHOUSE_MAINTENANCE_WINDOW="sat,sun 01-05"    days (sun..sat, or *) and UTC hours [from, to)
//   GATEHOUSE_TAGGED_PROGRAMS="metabase,superset"    program_name connection attributes

/** @typedef {import('@gatehouse/engine').OnCommand} OnCommand */

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Parses "sat,sun 01-05" into { days: Set<number>, fromHour, toHour }. */
export function parseWindow(text) {
  const match = /^\s*([a-z*,]+)\s+(\d{1,2})-(\d{1,2})\s*$/i.exec(text);
  if (match === null) throw new Error(`maintenance window '${text}' is not like "sat,sun 01-05"`);
  const days =
    match[1] === '*'
      ? new Set([0, 1, 2, 3, 4, 5, 6])
      : new Set(
          match[1]
            .toLowerCase()
            .split(',')
            .map((d) => {
              const day = DAYS.indexOf(d);
              if (day < 0) throw new Error(`unknown day '${d}' in the maintenance window`);
              return day;
            }),
        );
  return { days, fromHour: Number(match[2]), toHour: Number(match[3]) };
}

const WINDOW = parseWindow(process.env.GATEHOUSE_MAINTENANCE_WINDOW ?? 'sat,sun 01-05');
const TAGGED = new Set(
  (process.env.GATEHOUSE_TAGGED_PROGRAMS ?? 'metabase,superset,report-job').split(',').filter(Boolean),
);

export function inMaintenanceWindow(now = new Date(), window = WINDOW) {
  const hour = now.getUTCHours();
  return window.days.has(now.getUTCDay()) && hour >= window.fromHour && hour < window.toHour;
}

/** The client program a session names (libmariadb and the mysql clients use different keys). */
function programOf(attributes) {
  return attributes.program_name ?? attributes._program_name ?? attributes._client_name ?? '';
}

/** A DROP anywhere a statement starts: the first one, or one after a `;` (multi-statements). */
const DROP = /(?:^|;)\s*(?:\/\*[\s\S]*?\*\/\s*)*drop\b/i;

/** Before the certificate is verified: tag the session of a tagged program. */
export function onConnect(ctx) {
  const program = programOf(ctx.connectionAttributes);
  return TAGGED.has(program) ? { audit: { client_program: program.slice(0, 64) } } : undefined;
}

/** @type {OnCommand} Each command: DROP only in the window; queries of tagged programs tagged. */
export function onCommand(ctx, command) {
  const drop =
    command.kind === 'drop_db' ||
    ((command.kind === 'query' || command.kind === 'stmt_prepare') && DROP.test(command.text));
  if (drop && !inMaintenanceWindow()) {
    return {
      deny: {
        message: `DROP is allowed only in the maintenance window (${process.env.GATEHOUSE_MAINTENANCE_WINDOW ?? 'sat,sun 01-05'} UTC)`,
        errno: 1142,
        sqlState: '42000',
      },
      audit: { policy: 'maintenance-window' },
    };
  }
  const program = programOf(ctx.connectionAttributes);
  if (command.kind === 'query' && TAGGED.has(program)) return { audit: { client_program: program.slice(0, 64) } };
  return undefined;
}
