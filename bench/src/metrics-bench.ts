// Micro-benchmark: what recording command latency adds to the engine's own work per command.
// Each round is the engine's per-command path for a point select: the clock read at the command
// and at the end of its reply (the relay reads it for the idle limit either way) and the
// response tracker walking a one-row result set; with metrics on, the observer's queue and one
// histogram observe on a cached cell. Off and on run in the same process, interleaved. Also times
// a scrape of a registry holding 20 databases' series. Run: npm run bench:metrics -w bench
import { createMetricsRegistry } from '@gatehouse/common/metrics';
import { EngineMetrics, SessionObserver } from '@gatehouse/engine';
import {
  BufferWriter,
  Capability,
  Command,
  createResponseTracker,
  type ResponseOutcome,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';

const CAPS = Capability.Protocol41 | Capability.Transactions | Capability.SecureConnection | Capability.DeprecateEof;
const COMMANDS = 200_000;
const ROUNDS = 15;

/** The reply to `SELECT c FROM sbtest1 WHERE id = ?`: one column, one row. */
function pointSelectReply(): Buffer {
  const parts: Buffer[] = [];
  let seq = 1;
  const add = (payload: Uint8Array) => {
    parts.push(serializePacket(payload, seq));
    seq = (seq + 1) & 0xff;
  };
  add(new BufferWriter(4).lenencInt(1).flush());
  const col = new BufferWriter(64);
  for (const s of ['def', 'sbtest', 'sbtest1', 'sbtest1', 'c', 'c']) col.lenencString(s);
  col.lenencInt(0x0c).u16(45).u32(480).u8(0xfe).u16(0).u8(0).u16(0);
  add(col.flush());
  add(new BufferWriter(128).lenencString('83868641912-28773972837-60736120486-75162659906-27563526494').flush());
  add(serializeOkPacket({ header: 0xfe, statusFlags: 0x0002 }, CAPS));
  return Buffer.concat(parts);
}

const reply = pointSelectReply();
const query = { command: Command.Query };
const registry = createMetricsRegistry({ processMetrics: false });
const metrics = new EngineMetrics({
  registry,
  engineId: 'bench',
  databases: () => [],
  tunnelConnected: () => undefined,
});
const observer = new SessionObserver(metrics.childrenFor('sbtest'));

function run(withMetrics: boolean): number {
  let done = 0;
  let last = 0;
  const tracker = createResponseTracker({
    capabilities: CAPS,
    onOutcome: withMetrics
      ? (o: ResponseOutcome) => {
          if (o.done) last = performance.now();
          observer.onOutcome(o, last);
          if (o.done) done++;
        }
      : (o: ResponseOutcome) => {
          if (o.done) {
            last = performance.now();
            done++;
          }
        },
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < COMMANDS; i++) {
    const now = performance.now();
    last = now;
    if (withMetrics) observer.onForwarded('query', now);
    tracker.onCommand(query);
    tracker.pushServer(reply);
  }
  const ns = Number(process.hrtime.bigint() - started);
  if (done !== COMMANDS) throw new Error(`tracked ${done} replies, expected ${COMMANDS}`);
  return ns / COMMANDS;
}

for (let i = 0; i < 2; i++) {
  run(false);
  run(true);
}
const off: number[] = [];
const on: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  off.push(run(false));
  on.push(run(true));
}
// The fastest round of each: on a shared machine the other rounds measure the neighbours.
const fastest = (xs: number[]): number => Math.min(...xs);
const offNs = fastest(off);
const onNs = fastest(on);
console.log(`engine per-command path, metrics off   ${offNs.toFixed(0).padStart(6)} ns/command`);
console.log(`engine per-command path, metrics on    ${onNs.toFixed(0).padStart(6)} ns/command`);
console.log(
  `added by command latency metrics       ${(onNs - offNs).toFixed(0).padStart(6)} ns/command (${(((onNs - offNs) / offNs) * 100).toFixed(1)}%)`,
);

// A scrape: 20 databases with every command kind and a few error classes recorded.
for (let d = 0; d < 20; d++) {
  const o = new SessionObserver(metrics.childrenFor(`db${d}`));
  for (const kind of ['query', 'stmt_execute', 'stmt_prepare', 'ping'] as const) {
    o.onForwarded(kind, performance.now());
    o.onOutcome({ kind: 'no-reply', command: query, done: true, endOffset: 0 }, performance.now());
  }
  metrics.recordSession(`db${d}`, 'started');
}
const scrapes = 200;
const s0 = process.hrtime.bigint();
let bytes = 0;
for (let i = 0; i < scrapes; i++) bytes += (await registry.metrics()).length;
const scrapeMs = Number(process.hrtime.bigint() - s0) / 1e6 / scrapes;
console.log(
  `scrape of 20 databases' series          ${scrapeMs.toFixed(2).padStart(6)} ms (${Math.round(bytes / scrapes / 1024)} KiB)`,
);
console.log(
  JSON.stringify({
    bench: 'metrics',
    node: process.version,
    offNsPerCommand: offNs,
    onNsPerCommand: onNs,
    scrapeMs,
    rounds: { off, on },
  }),
);
