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
  #sequenceIds: number[] = [];
  #waiter: ((reply: Reply) => void) | undefined;
  readonly #unsolicited: Buffer[] = [];
  #ended = false;
  readonly closed: Promise<void>;

  constructor(stream: Duplex, capabilities: number) {
    this.stream = stream;
    this.#tracker = createResponseTracker({
      capabilities,
      onOutcome: (outcome) => {
        this.#outcomes.push(outcome);
        if (outcome.done && this.#waiter === undefined) {
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
          const waiter = this.#waiter;
          this.#waiter = undefined;
          waiter?.(reply);
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
      this.#waiter = resolve;
    });
    this.#tracker.onCommand(readTrackedCommand(payload));
    this.stream.write(serializePacket(payload, sequenceId));
    return reply;
  }

  query(sql: string): Promise<Reply> {
    return this.send(Buffer.concat([Buffer.from([0x03]), Buffer.from(sql)]));
  }
}
