// Replays a relay recording through a response tracker the way an engine would see it, and
// checks each reply's end against the relay's ground truth.
import assert from 'node:assert/strict';
import {
  BufferReader,
  createResponseTracker,
  type NegotiatedCapabilities,
  negotiateCapabilities,
  PacketParser,
  type ResponseOutcome,
  readTrackedCommand,
  type TrackedCommand,
} from '@gatehouse/mysql-protocol';
import type { Recording } from './recording-relay.js';

export interface ReplayedCommand {
  readonly command: TrackedCommand;
  /** Index of the corpus step the command belongs to. */
  readonly step: number;
  /** Server stream offset (from the command phase start) when the command reached the relay. */
  readonly arrival: number;
  readonly outcomes: ResponseOutcome[];
}

export interface Replay {
  readonly commands: ReplayedCommand[];
  readonly serverLength: number;
}

function firstPayload(bytes: Buffer): Buffer {
  const length = (bytes[0] as number) | ((bytes[1] as number) << 8) | ((bytes[2] as number) << 16);
  return bytes.subarray(4, 4 + length);
}

/** The capabilities of the recorded session, from the greeting and the HandshakeResponse41. */
export function readNegotiated(rec: Recording): NegotiatedCapabilities {
  const g = new BufferReader(firstPayload(Buffer.concat(rec.server)));
  g.u8();
  g.nulString();
  g.skip(4 + 8 + 1);
  let serverCaps = g.u16();
  g.skip(3);
  serverCaps = (serverCaps | (g.u16() << 16)) >>> 0;
  g.skip(1 + 6);
  const serverExt = g.u32();
  const c = new BufferReader(firstPayload(Buffer.concat(rec.client.map((x) => x.bytes))));
  const clientCaps = c.u32();
  c.skip(4 + 1 + 19);
  const clientExt = c.u32();
  return negotiateCapabilities(
    { capabilities: serverCaps, mariaDbCapabilities: serverExt },
    { capabilities: clientCaps, mariaDbCapabilities: clientExt },
  );
}

/**
 * Feeds the command-phase traffic to a fresh tracker: server bytes up to each client chunk's
 * arrival point (cut further at `serverCuts`), then that client chunk.
 */
export function replayRecording(
  rec: Recording,
  caps: NegotiatedCapabilities,
  serverCuts: readonly number[] = [],
): Replay {
  const phase = rec.commandPhase;
  assert.ok(phase, 'the recording marks the command phase');
  const server = Buffer.concat(rec.server).subarray(phase.server);
  const commands: ReplayedCommand[] = [];
  const byCommand = new Map<TrackedCommand, ReplayedCommand>();
  const tracker = createResponseTracker({
    capabilities: caps.capabilities,
    mariadbCapabilities: caps.mariaDbCapabilities,
    onOutcome: (o) => {
      const c = o.command && byCommand.get(o.command);
      assert.ok(c, `outcome ${o.kind} belongs to a command`);
      c.outcomes.push(o);
    },
  });
  const parser = new PacketParser();
  let fed = 0;
  const feedServerTo = (to: number) => {
    for (const cut of serverCuts) {
      if (cut > fed && cut < to) {
        tracker.pushServer(server.subarray(fed, cut));
        fed = cut;
      }
    }
    if (to > fed) tracker.pushServer(server.subarray(fed, to));
    fed = Math.max(fed, to);
  };
  for (const chunk of rec.client) {
    if (chunk.clientOffset < phase.client) continue;
    const arrival = chunk.serverOffset - phase.server;
    feedServerTo(arrival);
    const step = rec.steps.filter((s) => s.clientOffset <= chunk.clientOffset).length - 1;
    parser.push(chunk.bytes, (payload) => {
      if (tracker.clientPhase !== 'command') {
        tracker.onClientData(payload.length);
        return;
      }
      const command = readTrackedCommand(payload);
      const entry: ReplayedCommand = { command, step, arrival, outcomes: [] };
      commands.push(entry);
      byCommand.set(command, entry);
      tracker.onCommand(command);
    });
  }
  feedServerTo(server.length);
  assert.equal(tracker.serverOffset, server.length);
  assert.equal(tracker.pendingCommands, 0, 'every command was answered');
  return { commands, serverLength: server.length };
}

/**
 * The relay's ground truth: a client that waits for each reply sends its next command only once
 * the reply was delivered, so a reply ends exactly where the server stream stood when the next
 * command arrived; the last reply ends with the stream.
 */
export function checkBoundaries(replay: Replay): number {
  const answered = replay.commands.filter((c) => c.outcomes.some((o) => o.kind !== 'no-reply'));
  let checked = 0;
  answered.forEach((c, i) => {
    const end = c.outcomes.at(-1) as ResponseOutcome;
    assert.equal(end.done, true);
    const next = answered[i + 1];
    const truth = next === undefined ? replay.serverLength : next.arrival;
    assert.equal(
      end.endOffset,
      truth,
      `reply to command 0x${c.command.command.toString(16)} (step ${c.step}) ends at the right byte`,
    );
    checked++;
  });
  return checked;
}

/** Outcomes of a step in the shape mysql2 reports them. */
export type Normalized = ['rows', number] | ['ok', number, number] | ['err', number];

export function normalizeOutcomes(outcomes: readonly ResponseOutcome[]): Normalized[] {
  const out: Normalized[] = [];
  for (const o of outcomes) {
    if (o.kind === 'resultset') out.push(['rows', o.rowCount]);
    else if (o.kind === 'ok') out.push(['ok', Number(o.affectedRows), Number(o.lastInsertId)]);
    else if (o.kind === 'err') out.push(['err', o.errno]);
  }
  return out;
}

export function stepOutcomes(replay: Replay, step: number): ResponseOutcome[] {
  return replay.commands.filter((c) => c.step === step).flatMap((c) => c.outcomes);
}

interface Mysql2Header {
  affectedRows: number;
  insertId: number;
}

function isHeader(x: unknown): x is Mysql2Header {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'affectedRows' in x;
}

/** mysql2's result for one call, normalized; `multi` when the SQL held several statements. */
export function normalizeMysql2(result: unknown, multi: boolean): Normalized[] {
  const one = (r: unknown): Normalized => {
    if (isHeader(r)) return ['ok', r.affectedRows, r.insertId];
    assert.ok(Array.isArray(r));
    return ['rows', r.length];
  };
  if (multi) return (result as unknown[]).map(one);
  return [one(result)];
}
