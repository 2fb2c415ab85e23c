// The command phase: client→server bytes are read by the ClientReader, each command is parsed
// once into a CommandRecord, checked by policy, queued in the response tracker and forwarded (or
// answered with an ERR by the engine); server→client bytes are relayed unchanged while the
// tracker walks them and fills in the record, which the audit consumes when the reply ends. The
// relay owns the one statement registry and applies what replies change (schema, statements). Both ways
// honour backpressure: a destination whose write() returns false pauses its source until
// 'drain', so a slow client stops the database socket and a slow database stops the client.
// Write-ahead of the answer: a server chunk that finished a command which produced an audit
// event (and an ERR for a denied command) waits for the audit gate to say that event is
// written; bytes behind it wait too, so the client sees everything in order.
import type { Duplex } from 'node:stream';
import type { AuditStatement, AuditWriteGate } from '@gatehouse/common';
import {
  Command,
  createResponseTracker,
  type ErrFields,
  MysqlProtocolError,
  PreparedStatementRegistry,
  parseClientCommand,
  type ResponseOutcome,
  type ResponseTracker,
  serializeErrPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import type { Logger } from 'pino';
import { EngineError, EngineMysqlError } from '../errors.js';
import type { CommandAudit } from './command-audit.js';
import { absorbOutcome, type CommandRecord, createCommandRecord, type StatementState } from './command-record.js';
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
  /** The database socket, or the plain side of its compressed stream (upstream-compression.ts). */
  readonly upstream: Duplex;
  /** Bytes the upstream login read past its OK. */
  readonly leftover: Buffer;
  /** The capabilities both legs agreed on. */
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
  readonly policy: PolicyContext;
  readonly audit: CommandAudit;
  /** Holds replies until their audit events are written; without it replies go at once. */
  readonly gate?: AuditWriteGate;
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
/** Held reply bytes beyond which the database socket is paused until they are released. */
const HELD_LIMIT = 1024 * 1024;

export class Relay implements ClientReaderHandler {
  readonly #o: RelayOptions;
  readonly #client: Duplex;
  readonly #upstream: Duplex;
  readonly #tracker: ResponseTracker;
  readonly #reader: ClientReader;
  readonly #registry = new PreparedStatementRegistry<AuditStatement>();
  readonly #lookup = (statementId: number): StatementState | undefined => this.#registry.lookup(statementId);
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
  /** Bytes for the client waiting for audit writes, in order; #heldBase counts those released. */
  #held: Buffer[] = [];
  #heldBase = 0;
  #heldBytes = 0;
  /** afterWrite() calls not yet answered. */
  #gatesOpen = 0;
  #heldPaused = false;
  #endAfterHeld = false;

  readonly #onServerData = (chunk: Buffer): void => this.#relayServer(chunk);
  readonly #onClientData = (chunk: Buffer): void => this.#relayClient(chunk);
  readonly #resumeClient = (): void => {
    this.#clientPaused = false;
    if (!this.#ended) this.#client.resume();
  };
  readonly #resumeUpstream = (): void => {
    this.#upstreamPaused = false;
    // Replies held for an audit write past the bound keep the database paused until released.
    if (!this.#ended && !this.#heldPaused) this.#upstream.resume();
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
    try {
      if (sequenceId !== 0) throw new MysqlProtocolError(`command packet with sequence id ${sequenceId}, expected 0`);
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
      const emitted = this.#o.gate?.emitted;
      this.#o.audit.onDenied(command, verdict.err);
      const packet = serializePacket(serializeErrPacket(verdict.err, this.#o.capabilities), (sequenceId + 1) & 0xff);
      if (this.#tracker.pendingCommands === 0 && this.#deferred.length === 0)
        this.#toClient(packet, this.#o.gate?.emitted !== emitted);
      else {
        // Earlier replies are still coming: the ERR goes after them, and nothing newer goes
        // to the server until it has.
        this.#deferred.push(packet);
        this.#reader.stop();
      }
      return 'drop';
    }
    const audit = this.#o.audit;
    // Built before the registry sees the command: an execute keeps the statement a close
    // right behind it would forget.
    const record = createCommandRecord(command, verdict.schema, audit.now(), this.#lookup, audit.queryEvents);
    this.#registry.observe(command);
    if (command.kind === 'quit') this.#quitSent = true;
    this.#o.observer?.onForwarded(command.kind, now);
    this.#tracker.onCommand(record);
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
    const emitted = this.#o.gate?.emitted;
    try {
      this.#tracker.pushServer(chunk);
    } catch (err) {
      this.#o.log.warn({ err }, 'database broke the protocol');
      this.#finish(err as Error);
      return;
    }
    this.#o.counters.bytesToClient += chunk.length;
    // A command whose reply ends in this chunk produced an audit event: the chunk (and so its
    // last packet) waits until that event is written.
    this.#toClient(chunk, this.#o.gate?.emitted !== emitted);
    if (this.#reader.stopped && this.#tracker.pendingCommands === 0) this.#settle();
  }

  /** Sends bytes to the client after every held byte; `gated`: also after the audit write. */
  #toClient(bytes: Buffer, gated: boolean): void {
    const gate = this.#o.gate;
    if (gate === undefined || (!gated && this.#held.length === 0)) {
      this.#writeClient(bytes);
      return;
    }
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    if (!gated) return;
    const mark = this.#heldBase + this.#held.length;
    this.#gatesOpen++;
    if (this.#heldBytes > HELD_LIMIT && !this.#heldPaused) {
      this.#heldPaused = true;
      this.#upstream.pause();
    }
    gate.afterWrite(() => this.#release(mark));
  }

  /** An audit write is done: bytes up to `mark` may go, and all of them once no gate is open. */
  #release(mark: number): void {
    this.#gatesOpen--;
    const upTo = this.#gatesOpen === 0 ? this.#heldBase + this.#held.length : mark;
    const count = upTo - this.#heldBase;
    if (count <= 0) return;
    const out = this.#held.length === count ? this.#held : this.#held.slice(0, count);
    this.#held = this.#held.length === count ? [] : this.#held.slice(count);
    this.#heldBase = upTo;
    const client = this.#client;
    for (const bytes of out) {
      this.#heldBytes -= bytes.length;
      // After an orderly end the last replies still go out; after a failure the client is gone.
      if (!client.destroyed && !client.writableEnded) this.#writeClient(bytes);
    }
    if (this.#held.length > 0) return;
    if (this.#heldPaused) {
      this.#heldPaused = false;
      if (!this.#ended && !this.#upstreamPaused) this.#upstream.resume();
    }
    if (this.#endAfterHeld) this.#client.end();
  }

  /** Ends the client's side once the held bytes are out. */
  #endClient(): void {
    if (this.#held.length > 0) this.#endAfterHeld = true;
    else this.#client.end();
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
    // Every outcome, a stray ERR included (the observer counts ERR packets by class).
    this.#o.observer?.onOutcome(outcome, this.#lastActivity);
    // The tracker hands back the record queued for the command (none for an ERR the server
    // sent with nothing pending, e.g. as it closes the connection).
    const record = outcome.command as CommandRecord | undefined;
    if (record === undefined) return;
    absorbOutcome(record, outcome);
    if (!outcome.done) return;
    if (record.kind === 'stmt_prepare') {
      if (record.preparedId >= 0) record.prepared = this.#registry.recordPrepared(record.preparedId, record.paramCount);
      else this.#registry.recordPrepareFailed();
    }
    this.#o.audit.onFinished(record);
    // After the event, which names the schema the command ran in.
    if (record.error === undefined) {
      if (record.kind === 'init_db') this.#o.onSchema(record.text);
      else if (record.kind === 'query' && record.schema !== undefined) this.#o.onSchema(record.schema);
    }
  }

  /** The reader stopped: send what waits once no reply is in flight, then go on or close. */
  #settle(): void {
    if (this.#ended || this.#closeSent || !this.#reader.stopped || this.#tracker.pendingCommands > 0) return;
    // Each deferred ERR's denial event was emitted when it was decided; afterWrite answers at
    // once if it is written already.
    for (const packet of this.#deferred) this.#toClient(packet, true);
    this.#deferred = [];
    if (this.#closing !== undefined) {
      this.#closeSent = true;
      this.#toClient(this.#closing, false);
      this.#endClient();
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
      if (!this.#client.writableEnded) this.#endClient();
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
