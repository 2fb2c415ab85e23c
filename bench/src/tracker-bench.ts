// Micro-benchmark: the boundary-only framer (PacketScanner) plus the response tracker over a
// stream of 10k-row text result sets, fed in 64 KiB chunks as a socket would deliver them.
// Reports MB/s on one core. Run: npm run bench:tracker -w bench
import {
  BufferWriter,
  Capability,
  Command,
  createResponseTracker,
  type PacketScanHandler,
  PacketScanner,
  serializeEofPacket,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';

const ROWS = 10_000;
const CHUNK = 64 * 1024;
const BASE =
  Capability.Protocol41 |
  Capability.Transactions |
  Capability.MultiResults |
  Capability.SecureConnection |
  Capability.SessionTrack;

/** One reply to `SELECT id, name, email, created, amount FROM …` with ROWS rows. */
function buildResultSet(capabilities: number): Buffer {
  const deprecateEof = (capabilities & Capability.DeprecateEof) !== 0;
  const parts: Buffer[] = [];
  let seq = 1;
  const add = (payload: Uint8Array) => {
    parts.push(serializePacket(payload, seq));
    seq = (seq + 1) & 0xff;
  };
  const columns = ['id', 'name', 'email', 'created', 'amount'];
  add(new BufferWriter(4).lenencInt(columns.length).flush());
  for (const name of columns) {
    const w = new BufferWriter(64);
    for (const s of ['def', 'shop', 'customers', 'customers', name, name]) w.lenencString(s);
    w.lenencInt(0x0c).u16(45).u32(255).u8(0xfd).u16(0).u8(0).u16(0);
    add(w.flush());
  }
  if (!deprecateEof) add(serializeEofPacket(0, 0x0002, capabilities));
  for (let i = 1; i <= ROWS; i++) {
    const w = new BufferWriter(96);
    w.lenencString(String(i));
    w.lenencString(`Customer ${i}`);
    w.lenencString(`customer.${i}@example.com`);
    w.lenencString(`2024-0${1 + (i % 9)}-1${i % 10} 12:34:56`);
    w.lenencString(`${(i * 37) % 10000}.${i % 100}`);
    add(w.flush());
  }
  add(
    deprecateEof
      ? serializeOkPacket({ header: 0xfe, statusFlags: 0x0002 }, capabilities)
      : serializeEofPacket(0, 0x0002, capabilities),
  );
  return Buffer.concat(parts);
}

/** Cuts a stream of `copies` replies into CHUNK-sized views, as socket reads would. */
function chunk(reply: Buffer, copies: number): Buffer[] {
  const stream = Buffer.concat(Array.from({ length: copies }, () => reply));
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; at += CHUNK) out.push(stream.subarray(at, at + CHUNK));
  return out;
}

function measure(name: string, bytes: number, run: () => void): number {
  for (let i = 0; i < 3; i++) run(); // warm up
  let total = 0;
  let rounds = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 2e9) {
    run();
    total += bytes;
    rounds++;
    elapsed = Number(process.hrtime.bigint() - started);
  }
  const mbps = total / 1e6 / (elapsed / 1e9);
  console.log(
    `${name.padEnd(44)} ${mbps.toFixed(0).padStart(6)} MB/s  (${rounds} rounds of ${(bytes / 1e6).toFixed(1)} MB)`,
  );
  return mbps;
}

const COPIES = 8;
const results: Record<string, number> = {};
for (const [mode, caps] of [
  ['EOF', BASE],
  ['DEPRECATE_EOF', BASE | Capability.DeprecateEof],
] as const) {
  const reply = buildResultSet(caps);
  const chunks = chunk(reply, COPIES);
  const bytes = reply.length * COPIES;

  const noop: PacketScanHandler = { onFrame() {}, onPrefix() {}, onPayload() {}, onPacketEnd() {} };
  const scanner = new PacketScanner(noop);
  results[`scanner-${mode}`] = measure(`framer only (${mode})`, bytes, () => {
    for (const c of chunks) scanner.scan(c);
  });

  let rows = 0;
  const tracker = createResponseTracker({
    capabilities: caps,
    onOutcome: (o) => {
      if (o.kind === 'resultset') rows += o.rowCount;
    },
  });
  const query = { command: Command.Query };
  results[`tracker-${mode}`] = measure(`framer + tracker, 10k-row result sets (${mode})`, bytes, () => {
    for (let i = 0; i < COPIES; i++) tracker.onCommand(query);
    for (const c of chunks) tracker.pushServer(c);
  });
  if (rows % (ROWS * COPIES) !== 0 || rows === 0) throw new Error(`tracker counted ${rows} rows`);
}
console.log(JSON.stringify({ bench: 'tracker', unit: 'MB/s', node: process.version, results }));
