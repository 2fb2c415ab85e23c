// Packet I/O for the connection phase only. Unlike the streaming framer, it stops after each
// packet and keeps what follows, so the socket can be handed to TLS (or to the relay) with no
// byte lost. Connection-phase packets are small, so it copies; the command phase never uses it.
import type { Duplex } from 'node:stream';
import { serializePacket } from '../wire/packet-writer.js';
import { MysqlPacketTooLargeError } from '../wire/protocol-error.js';
import { MysqlConnectError } from './errors.js';

/** Larger than any greeting, handshake response (attributes included) or RSA key. */
export const MAX_HANDSHAKE_PACKET = 1024 * 1024;
const HEADER = 4;
const EMPTY = Buffer.alloc(0);

export interface HandshakePacket {
  readonly payload: Buffer;
  readonly sequenceId: number;
}

interface Waiter {
  resolve(packet: HandshakePacket): void;
  reject(err: Error): void;
}

export class HandshakeChannel {
  socket: Duplex;
  readonly address: string;
  private pending: Buffer = EMPTY;
  private waiter: Waiter | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void =>
    this.fail(new MysqlConnectError(this.address, `${this.address} closed the connection during the handshake`));
  private readonly onError = (err: Error): void =>
    this.fail(
      new MysqlConnectError(this.address, `connection to ${this.address} failed during the handshake: ${err.message}`, {
        cause: err,
      }),
    );

  constructor(socket: Duplex, address: string, initial: Buffer = EMPTY) {
    this.socket = socket;
    this.address = address;
    this.pending = initial;
    this.attach();
  }

  private attach(): void {
    this.socket.on('data', this.onData);
    this.socket.on('end', this.onEnd);
    this.socket.on('close', this.onEnd);
    this.socket.on('error', this.onError);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.deliver();
  }

  /** Resolves the waiting reader when a whole packet is buffered. */
  private deliver(): void {
    if (!this.waiter || this.failure) return;
    const buf = this.pending;
    if (buf.length < HEADER) return;
    const length = buf[0]! | (buf[1]! << 8) | (buf[2]! << 16);
    if (length > MAX_HANDSHAKE_PACKET) {
      this.fail(new MysqlPacketTooLargeError(length, MAX_HANDSHAKE_PACKET));
      return;
    }
    if (buf.length < HEADER + length) return;
    const packet = { payload: buf.subarray(HEADER, HEADER + length), sequenceId: buf[3]! };
    this.pending = buf.length === HEADER + length ? EMPTY : buf.subarray(HEADER + length);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter.resolve(packet);
  }

  /** Rejects the current and every later read with `err`. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err);
  }

  /** The next whole packet. Only one read may be outstanding. */
  readPacket(): Promise<HandshakePacket> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('HandshakeChannel: a read is already pending'));
    return new Promise<HandshakePacket>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  /** Writes one payload (single frame: connection-phase packets are small). */
  writePacket(payload: Uint8Array, sequenceId: number): void {
    this.socket.write(serializePacket(payload, sequenceId));
  }

  /** Stops reading and returns the bytes received past the last packet read. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.pause();
    const rest = this.pending;
    this.pending = EMPTY;
    return rest;
  }

  /** Continues on a new transport (the TLS socket wrapped around the old one). */
  replaceSocket(socket: Duplex, initial: Buffer = EMPTY): void {
    this.detach();
    this.socket = socket;
    this.pending = initial;
    this.failure = undefined;
    this.attach();
  }
}
