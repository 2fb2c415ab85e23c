// An example connection hook module for `engine.hooks` (docs/hooks.md). It runs in the
// engine's hook worker; each export is called once per session, with a time budget.
//
//   engine:
//     hooks: [./hooks/connection-policy.mjs]
//     hook_timeout: 250ms

/** Client programs whose sessions get a tag in the audit log, and where they are sent. */
const REPORT_TOOLS = new Set(['metabase', 'superset', 'report-job']);

/** Owners may connect with a DDL-capable db user only inside the maintenance window (UTC). */
const MAINTENANCE = { days: [6, 0], fromHour: 1, toHour: 5 }; // Saturday and Sunday, 01:00-05:00
const DDL_USERS = new Set(['app_owner', 'migrations']);

function inMaintenanceWindow(now = new Date()) {
  return MAINTENANCE.days.includes(now.getUTCDay()) && now.getUTCHours() >= MAINTENANCE.fromHour && now.getUTCHours() < MAINTENANCE.toHour;
}

/** Before the certificate is verified: tag the client program. */
export function onConnect(ctx) {
  const program = ctx.connectionAttributes.program_name ?? ctx.connectionAttributes._program_name ?? 'unknown';
  return { audit: { client_program: program.slice(0, 64) } };
}

/**
 * After the roles allowed the session: the db users that can DROP only log in during the
 * maintenance window, and report tools go to a replica when one is healthy and not lagging.
 */
export function onHandshakeResponse(ctx) {
  if (DDL_USERS.has(ctx.dbUser) && !inMaintenanceWindow()) {
    return {
      deny: `db user '${ctx.dbUser}' can DROP tables; it may log in only during the maintenance window (Sat-Sun 01:00-05:00 UTC)`,
      audit: { policy: 'maintenance-window' },
    };
  }
  const program = ctx.connectionAttributes.program_name ?? '';
  if (REPORT_TOOLS.has(program)) {
    const replica = ctx.backends.find((b) => b.role === 'replica' && b.health === 'healthy' && typeof b.lagSeconds === 'number' && b.lagSeconds < 60);
    return { ...(replica ? { backend: replica.uri } : {}), audit: { workload: 'reporting' } };
  }
  return undefined;
}
