// The command phase: client→server bytes are read by the ClientReader, each command is parsed,
// checked by policy, fed to the response tracker and forwarded (or answered with an ERR by the
// engine); server→client bytes are relayed unchanged while the tracker walks them. Both ways
// honour backpressure: a destination whose write() returns false pauses its source until
// 'drain', so a slow client stops the database socket and a slow database stops the client.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  Command,
  createResponseTracker,
  type ErrFields,
  MysqlProtocolError,
  PreparedStatementRegistry,
  parseClientCommand,
  type ResponseOutcome,
  type ResponseTracker,
  readTrackedCommand,
  serializeErrPacket,
  serializePacket,
} from '@gatehouse/common';
import type { Logger } from 'pino';
import { EngineError, EngineMysqlError } from '../errors.js';
import type { CommandAudit } from './command-audit.js';
import { decideCommand, type PolicyContext } from './command-policy.js';
import { ClientReader, type ClientReaderHandler, type CommandVerdict } from './relay-client-reader.js';
import type { RelayObserver } from './session-observer.js';

export interface RelayCounters {
  bytesFromClient: number;
  bytesToClient: number;
  commands: number;
  deniedCommands: number;
}

export interface RelayOptions {
  readonly client: Duplex;
  readonly upstream: Socket;
  /** Bytes the upstream login read past its OK. */
  readonly leftover: Buffer;
  /** The capabilities both legs agreed on. */
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
  readonly policy: PolicyContext;
  readonly audit: CommandAudit;
  readonly log: Logger;
  /** How much of each command is read for policy and audit (default 64 KiB); the rest streams. */
  readonly commandPrefixLimit?: number;
  readonly counters: RelayCounters;
  /** Metrics: command latency, ERR packets, denials (absent: nothing recorded). */
  readonly observer?: RelayObserver;
  /** The reply to a command changed the session (USE, reset, prepare). */
  readonly onSchema: (schema: string) => void;
  readonly onMalformed: (payload: Buffer, reason: string) => void;
  /** Runs once when both sides are closed; `err` when the relay failed. */
  readonly onEnd: (err: Error | undefined) => void;
}

const QUIT_PACKET = serializePacket(Buffer.from([Command.Quit]), 0);

export class Relay implements ClientReaderHandler {
  readonly #o: RelayOptions;
  readonly #client: Duplex;
  readonly #upstream: Socket;
  readonly #tracker: ResponseTracker;
  readonly #reader: ClientReader;
  readonly #registry = new PreparedStatementRegistry();
  /** ERR packets for denied commands, waiting for earlier replies to end. */
  #deferred: Buffer[] = [];
  #closing: Buffer | undefined;
  /** Why the engine closes the session (requestClose): what the session's end reports. */
  #closeReason: EngineError | undefined;
  #closeSent = false;
  #ended = false;
  /** The client sent COM_QUIT: how its transport closes after that is not a failure. */
  #quitSent = false;
  #clientPaused = false;
  #upstreamPaused = false;
  /**
   * performance.now() of the last command or reply end: one clock reading per event serves the
   * idle limit and the latency metrics alike (a clock read costs ~200 ns on some hosts).
   */
  #lastActivity = performance.now();
  #closeTimer: NodeJS.Timeout | undefined;

  readonly #onServerData = (chunk: Buffer): void => this.#relayServer(chunk);
  readonly #onClientData = (chunk: Buffer): void => this.#relayClient(chunk);
  readonly #resumeClient = (): void => {
    this.#clientPaused = false;
    if (!this.#ended) this.#client.resume();
  };
  readonly #resumeUpstream = (): void => {
    this.#upstreamPaused = false;
    if (!this.#ended) this.#upstream.resume();
  };
  readonly #resumeReader = (): void => {
    if (!this.#ended && this.#closing === undefined) this.#reader.resume();
  };

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#client = options.client;
    this.#upstream = options.upstream;
    this.#tracker = createResponseTracker({
      capabilities: options.capabilities,
      mariadbCapabilities: options.mariaDbCapabilities,
      onOutcome: (outcome) => this.#onOutcome(outcome),
    });
    this.#reader = new ClientReader(this, options.commandPrefixLimit);
  }

  /** When the last command arrived or the last reply ended (ms since the epoch). */
  get lastActivity(): number {
    return performance.timeOrigin + this.#lastActivity;
  }

  /** A reply is under way. */
  get busy(): boolean {
    return this.#tracker.pendingCommands > 0;
  }

  start(): void {
    const up = this.#upstream;
    const client = this.#client;
    up.on('data', this.#onServerData);
    up.on('end', () => this.#finish(undefined));
    up.on('close', () => this.#finish(undefined));
    up.on('error', (err) => this.#finish(err));
    client.on('data', this.#onClientData);
    client.on('end', () => {
      if (!this.#ended) up.end();
    });
    client.on('error', (err) => this.#finish(err));
    client.on('close', () => this.#finish(undefined));
    if (this.#o.leftover.length > 0) this.#relayServer(this.#o.leftover);
    up.resume();
  }

  /**
   * Closes the session with an ERR saying why, once no reply is in flight and the client is
   * between packets; `graceMs` later it is cut regardless.
   */
  requestClose(err: ErrFields, graceMs = 10_000): void {
    if (this.#ended || this.#closing !== undefined) return;
    this.#closing = serializePacket(serializeErrPacket(err, this.#o.capabilities), 1);
    this.#closeReason = new EngineError('GH_ERR_ENGINE_SESSION_CLOSED', err.message, {
      errno: err.errno,
      sqlState: err.sqlState ?? 'HY000',
    });
    this.#closeTimer = setTimeout(() => this.#finish(undefined), graceMs);
    this.#closeTimer.unref();
    this.#reader.stop();
    this.#settle();
  }

  destroy(err?: Error): void {
    this.#finish(err);
  }

  // --- client → server ---

  #relayClient(chunk: Buffer): void {
    this.#o.counters.bytesFromClient += chunk.length;
    try {
      this.#reader.push(chunk);
    } catch (err) {
      this.#finish(err as Error);
    }
  }

  nextIsCommand(): boolean {
    return this.#tracker.clientPhase === 'command';
  }

  onCommand(prefix: Buffer, length: number, sequenceId: number, complete: boolean): CommandVerdict {
    const now = performance.now();
    this.#lastActivity = now;
    let command: ReturnType<typeof parseClientCommand>;
    let tracked: ReturnType<typeof readTrackedCommand>;
    try {
      if (sequenceId !== 0) throw new MysqlProtocolError(`command packet with sequence id ${sequenceId}, expected 0`);
      tracked = readTrackedCommand(prefix, length);
      command = parseClientCommand(prefix, {
        capabilities: this.#o.capabilities,
        // Parameters are decoded only for execute events; with query events off they stay raw.
        ...(this.#o.audit.queryEvents ? { registry: this.#registry } : {}),
        ...(complete ? {} : { payloadLength: Math.max(length, prefix.length) }),
      });
    } catch (err) {
      if (!(err instanceof MysqlProtocolError)) throw err;
      this.#o.onMalformed(prefix, err.message);
      this.requestClose(
        { ...EngineMysqlError.MalformedPacket, message: `malformed packet from the client: ${err.message}` },
        2000,
      );
      return 'drop';
    }
    this.#o.counters.commands++;
    const verdict = decideCommand(command, this.#o.policy);
    if (verdict.kind === 'deny') {
      this.#o.counters.deniedCommands++;
      this.#o.observer?.onDenied(verdict.err);
      this.#o.audit.onDenied(command, verdict.err);
      const packet = serializePacket(serializeErrPacket(verdict.err, this.#o.capabilities), (sequenceId + 1) & 0xff);
      if (this.#tracker.pendingCommands === 0 && this.#deferred.length === 0) this.#writeClient(packet);
      else {
        // Earlier replies are still coming: the ERR goes after them, and nothing newer goes
        // to the server until it has.
        this.#deferred.push(packet);
        this.#reader.stop();
      }
      return 'drop';
    }
    this.#registry.observe(command);
    if (command.kind === 'quit') this.#quitSent = true;
    if (command.kind === 'reset_connection') this.#o.audit.clearStatements();
    this.#o.audit.onForwarded(command, verdict.schema);
    this.#o.observer?.onForwarded(command.kind, now);
    this.#tracker.onCommand(tracked);
    return 'forward';
  }

  onPacketEnd(length: number, command: boolean): void {
    if (!command) this.#tracker.onClientData(length);
  }

  forward(bytes: Buffer): void {
    if (this.#ended) return;
    if (!this.#upstream.write(bytes) && !this.#clientPaused) {
      this.#clientPaused = true;
      this.#client.pause();
      this.#upstream.once('drain', this.#resumeClient);
    }
  }

  onStopped(): void {
    this.#settle();
  }

  // --- server → client ---

  #relayServer(chunk: Buffer): void {
    if (this.#ended) return;
    try {
      this.#tracker.pushServer(chunk);
    } catch (err) {
      this.#o.log.warn({ err }, 'database broke the protocol');
      this.#finish(err as Error);
      return;
    }
    this.#o.counters.bytesToClient += chunk.length;
    this.#writeClient(chunk);
    if (this.#reader.stopped && this.#tracker.pendingCommands === 0) this.#settle();
  }

  #writeClient(bytes: Buffer): void {
    if (!this.#client.write(bytes) && !this.#upstreamPaused) {
      this.#upstreamPaused = true;
      this.#upstream.pause();
      this.#client.once('drain', this.#resumeUpstream);
    }
  }

  #onOutcome(outcome: ResponseOutcome): void {
    if (outcome.done) this.#lastActivity = performance.now();
    this.#o.observer?.onOutcome(outcome, this.#lastActivity);
    const effect = this.#o.audit.onOutcome(outcome);
    if (effect === undefined) return;
    switch (effect.kind) {
      case 'schema':
        this.#o.onSchema(effect.schema);
        return;
      case 'prepared':
        this.#registry.recordPrepared(effect.statementId, effect.paramCount);
        return;
      case 'prepare-failed':
        this.#registry.recordPrepareFailed();
        return;
      case 'reset':
        return;
    }
  }

  /** The reader stopped: send what waits once no reply is in flight, then go on or close. */
  #settle(): void {
    if (this.#ended || this.#closeSent || !this.#reader.stopped || this.#tracker.pendingCommands > 0) return;
    for (const packet of this.#deferred) this.#writeClient(packet);
    this.#deferred = [];
    if (this.#closing !== undefined) {
      this.#closeSent = true;
      this.#writeClient(this.#closing);
      this.#client.end();
      this.#upstream.end(QUIT_PACKET);
      return;
    }
    setImmediate(this.#resumeReader);
  }

  #finish(err: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#closeTimer);
    this.#upstream.off('data', this.#onServerData);
    this.#client.off('data', this.#onClientData);
    if (err !== undefined) {
      this.#client.destroy();
      this.#upstream.destroy();
    } else {
      if (!this.#client.writableEnded) this.#client.end();
      if (!this.#upstream.destroyed) this.#upstream.end();
      // A peer that does not finish its half-close is cut after a moment.
      setTimeout(() => {
        this.#client.destroy();
        this.#upstream.destroy();
      }, 1000).unref();
    }
    // A client that quits may close its socket without waiting (the mariadb CLI does), which
    // the proxy's pipeline reports as a premature close and the stream arrives reset.
    // When the engine closed the session, that is why it ended, whatever the client did next.
    this.#o.onEnd(this.#closeReason ?? (this.#quitSent ? undefined : err));
  }
}
