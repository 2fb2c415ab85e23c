// gatectl engine ls | engine drain ID [--reason TEXT] [--wait 15s]
// Engines as the live proxies see them, and asking one to drain. A drain request goes into the
// cluster store; every engine reads it with the cluster state (over its tunnel, or in process)
// and the one it names stops taking new sessions, tells the proxies, and writes an
// `engine.drain` audit event (docs/migration.md "Draining an engine").
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatehouseError } from '@gatehouse/common';
import type { Command, CommandContext } from '../command.js';
import { openCliStore } from '../open-store.js';
import { optionalString, parseDurationOption, resolveFormat, writeListing, writeResult } from '../output.js';
import { resolveRunDataDir } from '../run-data-dir.js';
import { type EngineRow, summarizeEngines } from '../service/engine-summary.js';
import { readRegistrySnapshots } from '../service/registry-snapshot.js';

const DEFAULT_WAIT = '15s';
const DEFAULT_REASON = 'drained by an operator (gatectl engine drain)';
const POLL_MS = 250;

async function readEngines(ctx: Pick<CommandContext, 'values' | 'env'>): Promise<EngineRow[]> {
  return summarizeEngines(await readRegistrySnapshots(await resolveRunDataDir(ctx)));
}

/** The OS user and host gatectl runs as: who asked, for the audit event. */
function operator(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): the uid still says something.
    user = `uid:${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}

const list: Command = {
  name: 'engine ls',
  summary: 'list engines: the proxies they are connected to, their databases, sessions and state (serving, draining)',
  async run(ctx) {
    const rows = await readEngines(ctx);
    writeListing(ctx, rows, ['ID', 'STATE', 'SESSIONS', 'DATABASES', 'PROXY', 'ADDRESS'], (r) => [
      r.id,
      r.state,
      String(r.sessions),
      r.databases.join(',') || '-',
      r.proxies.map((p) => p.proxyId).join(','),
      [...new Set(r.proxies.flatMap((p) => p.addresses))].join(','),
    ]);
    if (rows.length === 0 && resolveFormat(ctx) !== 'json')
      ctx.stderr.write(`no engines connected: is gatehouse running with data dir ${await resolveRunDataDir(ctx)}?\n`);
    return 0;
  },
};

const drain: Command = {
  name: 'engine drain',
  summary: 'ask an engine to drain: it takes no new sessions, which go to a serving engine of the same database',
  usage: 'ID [--reason TEXT] [--wait 15s]',
  options: { reason: { type: 'string' }, wait: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.positionals[0]!;
    const reason = optionalString(ctx, 'reason') ?? DEFAULT_REASON;
    const waitText = optionalString(ctx, 'wait') ?? DEFAULT_WAIT;
    const waitMs = waitText === '0' ? 0 : parseDurationOption(waitText, 'wait');
    const before = (await readEngines(ctx)).find((e) => e.id === id);
    if (before === undefined) {
      const known = (await readEngines(ctx)).map((e) => e.id);
      throw new GatehouseError(
        'GH_ERR_ENGINE_NOT_FOUND',
        `no engine '${id}' is connected to a proxy${known.length > 0 ? ` (engines: ${known.join(', ')})` : ''}; see gatectl engine ls`,
      );
    }
    const request = await (await openCliStore(ctx)).requestEngineDrain({ engineId: id, by: operator(), reason });
    const result = { engine: id, request_id: request.id, requested: request.requested, reason };
    if (before.state === 'draining') {
      writeResult(ctx, { ...result, state: 'draining', already_draining: true }, `engine ${id} is already draining\n`);
      return 0;
    }
    if (waitMs === 0) {
      writeResult(ctx, { ...result, state: 'requested' }, `drain of engine ${id} requested (request ${request.id})\n`);
      return 0;
    }
    // The engine reads the request within a second or two and tells the proxies, which write
    // what they see every two seconds (registry snapshots).
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      const now = (await readEngines(ctx)).find((e) => e.id === id);
      if (now?.state === 'draining') {
        writeResult(
          ctx,
          { ...result, state: 'draining', already_draining: false },
          `engine ${id} is draining: it takes no new sessions (request ${request.id})\n`,
        );
        return 0;
      }
      await sleep(POLL_MS);
    }
    throw new GatehouseError(
      'GH_ERR_ENGINE_DRAIN_UNCONFIRMED',
      `drain of engine '${id}' was requested (request ${request.id}), but no proxy reported it draining within ${waitText}; check gatectl engine ls and the engine's log`,
    );
  },
};

/** gatectl commands of the engine area. */
export const engineCommands: Command[] = [list, drain];
