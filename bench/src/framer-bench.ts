// Micro-benchmark of the MySQL framers over a recorded-style server stream: many result sets of
// 10k text rows each (the shape of a bulk read), cut into 64 KiB chunks as a socket delivers
// them. Reports MB/s for the boundary scanner (what the relay runs) and the reassembling parser.
//
//   npm run build && npm run bench:framer -w bench
import {
  BufferWriter,
  beginPacket,
  ColumnType,
  finishPacket,
  PacketParser,
  type PacketScanHandler,
  PacketScanner,
  ServerStatus,
  writeEofPacket,
  writeOkPacket,
} from '@gatehouse/mysql-protocol';

const RESULT_SETS = 40;
const ROWS = 10_000;
const CHUNK = 64 * 1024;
const ROUNDS = 5;
const CAPS = 0x00000200 | 0x00002000; // CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS

/** One result set as a server sends it: column count, definitions, EOF, rows, EOF. */
function writeResultSet(w: BufferWriter, set: number): void {
  let seq = 1;
  const columns: Array<[string, number]> = [
    ['id', ColumnType.LongLong],
    ['name', ColumnType.VarString],
    ['created_at', ColumnType.DateTime],
    ['score', ColumnType.NewDecimal],
  ];
  let at = beginPacket(w);
  w.lenencInt(columns.length);
  seq = finishPacket(w, at, seq);
  for (const [name, type] of columns) {
    at = beginPacket(w);
    w.lenencString('def').lenencString('app').lenencString('t').lenencString('t');
    w.lenencString(name).lenencString(name).lenencInt(0x0c).u16(45).u32(255).u8(type).u16(0).u8(0).u16(0);
    seq = finishPacket(w, at, seq);
  }
  at = beginPacket(w);
  writeEofPacket(w, 0, ServerStatus.Autocommit, CAPS);
  seq = finishPacket(w, at, seq);
  for (let r = 0; r < ROWS; r++) {
    at = beginPacket(w);
    w.lenencString(String(set * ROWS + r));
    w.lenencString(`customer-${(r * 2654435761) % 100_000}-${'x'.repeat(r % 40)}`);
    w.lenencString('2024-05-17 12:34:56');
    if (r % 7 === 0) w.lenencNull();
    else w.lenencString(`${r % 1000}.${r % 100}`);
    seq = finishPacket(w, at, seq);
  }
  at = beginPacket(w);
  writeEofPacket(w, 0, ServerStatus.Autocommit, CAPS);
  finishPacket(w, at, seq);
  // A trailing OK, as after a SET, so the stream mixes shapes.
  at = beginPacket(w);
  writeOkPacket(w, { affectedRows: 0, statusFlags: ServerStatus.Autocommit }, CAPS);
  finishPacket(w, at, 1);
}

function buildStream(): Buffer[] {
  const w = new BufferWriter(1 << 20);
  for (let s = 0; s < RESULT_SETS; s++) writeResultSet(w, s);
  const all = Buffer.from(w.flush());
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return chunks;
}

/** What a response tracker needs per packet: its length and first byte. */
class CountingHandler implements PacketScanHandler {
  packets = 0;
  firstBytes = 0;
  bytes = 0;
  onFrame(): void {}
  onPrefix(buf: Buffer, start: number, end: number): void {
    if (end > start) this.firstBytes += buf[start]!;
  }
  onPayload(): void {}
  onPacketEnd(length: number): void {
    this.packets++;
    this.bytes += length;
  }
}

const EXPECTED_PACKETS = RESULT_SETS * (ROWS + 8);

function measure(label: string, totalBytes: number, run: () => number): void {
  const seen = run(); // warm up, and check the framer found every packet
  if (seen !== EXPECTED_PACKETS) throw new Error(`${label}: saw ${seen} packets, expected ${EXPECTED_PACKETS}`);
  let best = Number.POSITIVE_INFINITY;
  let packets = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    packets = run();
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.min(best, ns);
  }
  const mbps = totalBytes / 1e6 / (best / 1e9);
  const mpps = packets / 1e6 / (best / 1e9);
  console.log(`${label.padEnd(44)} ${mbps.toFixed(0).padStart(6)} MB/s  ${mpps.toFixed(1).padStart(5)} M packets/s`);
}

const chunks = buildStream();
const totalBytes = chunks.reduce((n, c) => n + c.length, 0);
console.log(
  `stream: ${RESULT_SETS} result sets x ${ROWS} rows, ${(totalBytes / 1e6).toFixed(1)} MB in ${chunks.length} chunks of ${CHUNK / 1024} KiB; best of ${ROUNDS}`,
);

for (const prefixLength of [0, 1]) {
  measure(`PacketScanner (prefixLength ${prefixLength})`, totalBytes, () => {
    const handler = new CountingHandler();
    const scanner = new PacketScanner(handler);
    scanner.prefixLength = prefixLength;
    for (const c of chunks) scanner.scan(c);
    return handler.packets;
  });
}

measure('PacketParser (reassembling, views)', totalBytes, () => {
  const parser = new PacketParser();
  let packets = 0;
  let first = 0;
  const onPacket = (payload: Buffer): void => {
    packets++;
    if (payload.length > 0) first += payload[0]!;
  };
  for (const c of chunks) parser.push(c, onPacket);
  return packets + (first & 0);
});
