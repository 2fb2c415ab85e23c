import { existsSync } from 'node:fs';
import { resolveAuditDir, searchAuditLog, verifyAuditLog } from '@gatehouse/auth';
import { type Command, type CommandContext, UsageError } from '../command.js';
import { formatTable, outputFormat, parsePositiveInt, parseTimeArg, resolveDataDir } from './audit-output.js';
import { summarizeAuditEvent } from './audit-summary.js';

function auditDir(ctx: CommandContext): string {
  return resolveAuditDir(resolveDataDir(ctx.values, ctx.env));
}

function missing(ctx: CommandContext, dir: string): number {
  ctx.stderr.write(`gatectl: no audit log at ${dir} (set --data-dir or GATEHOUSE_DATA_DIR)\n`);
  return 1;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const search: Command = {
  name: 'audit search',
  summary: 'search the audit log',
  usage:
    '[--since 1h] [--until TIME] [--user U] [--db D] [--type T] [--session S] [--query TEXT] [--limit N] [--order asc|desc]',
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    user: { type: 'string' },
    db: { type: 'string' },
    type: { type: 'string' },
    session: { type: 'string' },
    query: { type: 'string' },
    limit: { type: 'string' },
    order: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.values;
    const format = outputFormat(v);
    const now = Date.now();
    const order = str(v.order) ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new UsageError('--order must be asc or desc');
    const since = str(v.since);
    const until = str(v.until);
    const limit = str(v.limit);
    const filter = {
      order,
      limit: limit !== undefined ? parsePositiveInt('limit', limit) : 1000,
      ...(since !== undefined ? { since: parseTimeArg('since', since, now) } : {}),
      ...(until !== undefined ? { until: parseTimeArg('until', until, now) } : {}),
      ...(str(v.user) !== undefined ? { user: str(v.user)! } : {}),
      ...(str(v.db) !== undefined ? { db: str(v.db)! } : {}),
      ...(str(v.type) !== undefined ? { type: str(v.type)! } : {}),
      ...(str(v.session) !== undefined ? { session: str(v.session)! } : {}),
      ...(str(v.query) !== undefined ? { query: str(v.query)! } : {}),
    } as const;
    const dir = auditDir(ctx);
    if (!existsSync(dir)) return missing(ctx, dir);
    const events = await searchAuditLog(dir, filter);
    if (format === 'json') {
      ctx.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
      return 0;
    }
    const rows = events.map((e) => [
      e.time,
      e.event,
      e.user,
      e.db_name ? `${e.db_service}/${e.db_name}` : e.db_service,
      e.sid,
      summarizeAuditEvent(e),
    ]);
    ctx.stdout.write(formatTable(['TIME', 'TYPE', 'USER', 'DB', 'SESSION', 'SUMMARY'], rows));
    return 0;
  },
};

const verify: Command = {
  name: 'audit verify',
  summary: 'check the audit log hash chain for edits, insertions and deletions',
  async run(ctx) {
    const format = outputFormat(ctx.values);
    const dir = auditDir(ctx);
    if (!existsSync(dir)) return missing(ctx, dir);
    const report = await verifyAuditLog(dir);
    if (format === 'json') {
      ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (report.ok) {
      ctx.stdout.write(`audit log intact: ${report.events} events in ${report.files} files (${dir})\n`);
    }
    for (const note of report.notes) ctx.stderr.write(`gatectl: note: ${note}\n`);
    if (report.ok) return 0;
    ctx.stderr.write(
      `gatectl: audit log damaged: ${report.file}${report.line > 0 ? ` line ${report.line}` : ''}: ${report.reason}\n`,
    );
    return 1;
  },
};

/** gatectl commands of the audit area. */
export const auditCommands: Command[] = [search, verify];
