import { existsSync } from 'node:fs';
import type { ClusterState, VerifyReport } from '@gatehouse/auth';
import type { AuditEvent } from '@gatehouse/common';
import { type AuditApiTarget, getAuditApi, readAuditApiTarget } from '../audit-api-client.js';
import { type Command, type CommandContext, UsageError } from '../command.js';
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

/** --proxy/--identity: read through the proxy's /v1/audit API with a certificate from auth sign. */
const API_OPTIONS = { proxy: { type: 'string' }, identity: { type: 'string' } } as const;

/** The same search through the API, page by page (1000 a page) up to the limit. */
async function searchThroughProxy(
  target: AuditApiTarget,
  filter: { order: 'asc' | 'desc'; limit: number; since?: Date; until?: Date } & Partial<
    Record<'user' | 'db' | 'type' | 'session' | 'query', string>
  >,
): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  while (events.length < filter.limit) {
    const params = new URLSearchParams({
      order: filter.order,
      limit: String(Math.min(1000, filter.limit - events.length)),
    });
    if (filter.since) params.set('since', filter.since.toISOString());
    if (filter.until) params.set('until', filter.until.toISOString());
    for (const key of ['user', 'db', 'type', 'session', 'query'] as const) {
      const value = filter[key];
      if (value !== undefined) params.set(key, value);
    }
    if (cursor !== undefined) params.set('cursor', cursor);
    const page = (await getAuditApi(target, `/events?${params}`)) as { items: AuditEvent[]; next?: string };
    events.push(...page.items);
    cursor = page.next;
    if (cursor === undefined) break;
  }
  return events;
}

function missing(ctx: CommandContext, dir: string): number {
  ctx.stderr.write(`gatectl: no audit log at ${dir} (set --data-dir or GATEHOUSE_DATA_DIR)\n`);
  return 1;
}

const search: Command = {
  name: 'audit search',
  summary: 'search the audit log',
  usage:
    '[--since 1h] [--until TIME] [--user U] [--db D] [--type T] [--session S] [--query TEXT] [--limit N] [--order asc|desc] [--proxy HOST:3080 --identity PREFIX]',
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
    ...API_OPTIONS,
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
    const target = await readAuditApiTarget(ctx);
    let events: AuditEvent[];
    if (target !== undefined) {
      events = await searchThroughProxy(target, filter);
    } else {
      const { reader, dir } = await auditSource(ctx);
      if (dir !== undefined && !existsSync(dir)) return missing(ctx, dir);
      events = await reader.search(filter);
    }
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
  usage: '[--proxy HOST:3080 --identity PREFIX]',
  options: API_OPTIONS,
  async run(ctx) {
    const format = resolveFormat(ctx);
    const target = await readAuditApiTarget(ctx);
    // For the summary line: "files (dir)" for a file store, "chains (where)" for PostgreSQL.
    let what: string;
    let report: VerifyReport;
    if (target !== undefined) {
      what = `files (https://${target.host}:${target.port})`;
      report = (await getAuditApi(target, '/verify')) as VerifyReport;
    } else {
      const source = await auditSource(ctx);
      if (source.dir !== undefined && !existsSync(source.dir)) return missing(ctx, source.dir);
      what = source.dir === undefined ? `chains (${source.where})` : `files (${source.dir})`;
      report = await source.reader.verify();
    }
    if (format === 'json') {
      writeJson(ctx.stdout, report);
    } else if (report.ok) {
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
