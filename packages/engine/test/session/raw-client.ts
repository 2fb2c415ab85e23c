// A minimal command-phase client over a Duplex: sends one command packet and collects the reply
// packets, using the response tracker to know where the reply ends.
import type { Duplex } from 'node:stream';
import {
  createResponseTracker,
  PacketParser,
  type ResponseOutcome,
  readTrackedCommand,
  serializePacket,
} from '@gatehouse/mysql-protocol';

export interface Reply {
  readonly outcomes: ResponseOutcome[];
  readonly packets: Buffer[];
  /** Each packet's sequence id, in the same order. */
  readonly sequenceIds: number[];
}

export class RawClient {
  readonly stream: Duplex;
  readonly #parser = new PacketParser();
  readonly #tracker;
  #outcomes: ResponseOutcome[] = [];
  #packets: Buffer[] = [];
  /** Who waits for the replies in flight, oldest first. */
  readonly #waiters: ((reply: Reply) => void)[] = [];
  #sequenceIds: number[] = [];
  readonly #unsolicited: Buffer[] = [];
  #ended = false;
  readonly closed: Promise<void>;

  constructor(stream: Duplex, capabilities: number) {
    this.stream = stream;
    this.#tracker = createResponseTracker({
      capabilities,
      onOutcome: (outcome) => {
        this.#outcomes.push(outcome);
        if (outcome.done && this.#waiters.length === 0) {
          // An ERR the engine sends on its own (a session limit) ends no command of ours.
          this.#unsolicited.push(...this.#packets);
          this.#packets = [];
          this.#sequenceIds = [];
          this.#outcomes = [];
        } else if (outcome.done) {
          const reply = { outcomes: this.#outcomes, packets: this.#packets, sequenceIds: this.#sequenceIds };
          this.#outcomes = [];
          this.#packets = [];
          this.#sequenceIds = [];
          this.#waiters.shift()?.(reply);
        }
      },
    });
    this.closed = new Promise((resolve) => {
      stream.on('close', resolve);
      stream.on('end', resolve);
      stream.on('error', () => resolve());
    });
    stream.on('end', () => {
      this.#ended = true;
    });
    stream.on('data', (chunk: Buffer) => {
      this.#parser.push(chunk, (payload, sequenceId) => {
        this.#packets.push(Buffer.from(payload));
        this.#sequenceIds.push(sequenceId);
      });
      this.#tracker.pushServer(chunk);
    });
  }

  /** Packets that arrived with no command pending. */
  get unsolicited(): readonly Buffer[] {
    return this.#unsolicited;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends a command payload; resolves with its whole reply. */
  send(payload: Buffer, sequenceId = 0): Promise<Reply> {
    const reply = new Promise<Reply>((resolve) => {
      this.#waiters.push(resolve);
    });
    this.#tracker.onCommand(readTrackedCommand(payload));
    this.stream.write(serializePacket(payload, sequenceId));
    return reply;
  }

  /** Sends every query in one write, without waiting between them; resolves with the replies in order. */
  pipeline(sqls: readonly string[]): Promise<Reply[]> {
    const payloads = sqls.map((sql) => Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]));
    const replies = payloads.map(
      (payload) =>
        new Promise<Reply>((resolve) => {
          this.#waiters.push(resolve);
          this.#tracker.onCommand(readTrackedCommand(payload));
        }),
    );
    this.stream.write(Buffer.concat(payloads.map((payload) => serializePacket(payload, 0))));
    return Promise.all(replies);
  }

  query(sql: string): Promise<Reply> {
    return this.send(Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]));
  }
}
