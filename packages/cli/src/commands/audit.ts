import { existsSync } from 'node:fs';
import { type Command, type CommandContext, UsageError } from '../command.js';
import type { ClusterState } from '@gatehouse/auth';
import { loadAuth } from '../load-auth.js';
import { openCliState, resolveConfigFile } from '../open-state.js';
import {
  optionalString,
  parseTimeOption,
  parseWholeNumberOption,
  resolveDataDir,
  resolveFormat,
  writeJson,
  writeListing,
} from '../output.js';
import { summarizeAuditEvent } from './audit-summary.js';

interface AuditSource {
  readonly reader: ClusterState['audit'];
  /** The audit directory of a file-backed data dir (which must exist). */
  readonly dir?: string;
  /** For messages: the directory, or the PostgreSQL database. */
  readonly where: string;
}

/**
 * The audit log to read, without writing anything: a data dir that does not exist is reported,
 * not created. With --config, whatever its `storage` names (files, or PostgreSQL).
 */
async function auditSource(ctx: CommandContext): Promise<AuditSource> {
  const { resolveAuditDir, searchAuditLog, verifyAuditLog } = await loadAuth();
  if (resolveConfigFile(ctx) === undefined) {
    const dir = resolveAuditDir(resolveDataDir(ctx));
    return { dir, where: dir, reader: { search: (f) => searchAuditLog(dir, f), verify: () => verifyAuditLog(dir) } };
  }
  const state = await openCliState(ctx);
  if (state.backend !== 'file') return { reader: state.audit, where: state.where };
  const dir = resolveAuditDir(state.where);
  return { dir, where: dir, reader: state.audit };
}

/** The string options among `names` that were given, as filter fields. */
function stringOptions<K extends string>(ctx: CommandContext, names: readonly K[]): Partial<Record<K, string>> {
  const fields: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = optionalString(ctx, name);
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

function missing(ctx: CommandContext, dir: string): number {
  ctx.stderr.write(`gatectl: no audit log at ${dir} (set --data-dir or GATEHOUSE_DATA_DIR)\n`);
  return 1;
}

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
    resolveFormat(ctx); // a bad --format is a usage error before the log is read
    const now = Date.now();
    const order = optionalString(ctx, 'order') ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new UsageError('--order must be asc or desc');
    const since = optionalString(ctx, 'since');
    const until = optionalString(ctx, 'until');
    const limit = optionalString(ctx, 'limit');
    const filter = {
      order,
      limit: limit !== undefined ? parseWholeNumberOption(limit, 'limit') : 1000,
      ...(since !== undefined ? { since: parseTimeOption(since, 'since', now) } : {}),
      ...(until !== undefined ? { until: parseTimeOption(until, 'until', now) } : {}),
      ...stringOptions(ctx, ['user', 'db', 'type', 'session', 'query']),
    } as const;
    const { reader, dir } = await auditSource(ctx);
    if (dir !== undefined && !existsSync(dir)) return missing(ctx, dir);
    const events = await reader.search(filter);
    writeListing(ctx, events, ['TIME', 'TYPE', 'USER', 'DB', 'SESSION', 'SUMMARY'], (e) => [
      e.time,
      e.event,
      e.user,
      e.db_name ? `${e.db_service}/${e.db_name}` : e.db_service,
      e.sid,
      summarizeAuditEvent(e),
    ]);
    return 0;
  },
};

const verify: Command = {
  name: 'audit verify',
  summary: 'check the audit log hash chain for edits, insertions and deletions',
  async run(ctx) {
    const format = resolveFormat(ctx);
    const { reader, dir, where } = await auditSource(ctx);
    if (dir !== undefined && !existsSync(dir)) return missing(ctx, dir);
    const report = await reader.verify();
    if (format === 'json') {
      writeJson(ctx.stdout, report);
    } else if (report.ok) {
      const what = dir === undefined ? `chains (${where})` : `files (${dir})`;
      ctx.stdout.write(`audit log intact: ${report.events} events in ${report.files} ${what}\n`);
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
