// Compressed packets (CLIENT_COMPRESS) built straight from the format's description with zlib,
// not with CompressedPacketWriter, so that tests and fuzzers check the reader against an
// independent encoder.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression_packet.html
import { deflateSync } from 'node:zlib';

/** One compressed frame around `plain`; `stored` sends it as is (uncompressed length 0). */
export function buildCompressedFrame(plain: Buffer, sequenceId: number, stored = false): Buffer {
  const body = stored ? plain : deflateSync(plain);
  const header = Buffer.alloc(7);
  header.writeUIntLE(body.length, 0, 3);
  header[3] = sequenceId;
  header.writeUIntLE(stored ? 0 : plain.length, 4, 3);
  return Buffer.concat([header, body]);
}
