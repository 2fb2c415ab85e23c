// Sequence ids count frames mod 256 within one exchange and start again at 0 with each command.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html#sect_protocol_basic_packets_sequence_id
import { MysqlProtocolError } from './protocol-error.js';

export class SequenceTracker {
  /** The id the next frame must carry (or be sent with). */
  next = 0;

  /** A new command starts: the client's command frame is id 0. */
  reset(next = 0): void {
    this.next = next & 0xff;
  }

  /** Returns the id to send and advances. */
  take(): number {
    const id = this.next;
    this.next = (id + 1) & 0xff;
    return id;
  }

  /** Advances past a received id, or throws when it is not the expected one. */
  accept(sequenceId: number): void {
    if (sequenceId !== this.next) {
      throw new MysqlProtocolError(`MySQL packet out of order: sequence id ${sequenceId}, expected ${this.next}`);
    }
    this.next = (sequenceId + 1) & 0xff;
  }

  /** Advances past a whole logical packet of `frames` frames that started at `sequenceId`. */
  acceptPacket(sequenceId: number, frames: number): void {
    this.accept(sequenceId);
    this.next = (this.next + frames - 1) & 0xff;
  }
}
