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
import type { AuditHookExtras, AuditStatement, AuditWriteGate } from '@gatehouse/common';
import {
  type ChangeUserCommand,
  type ClientCommand,
  Command,
  createResponseTracker,
  type ErrFields,
  MysqlProtocolError,
  PreparedStatementRegistry,
  parseClientCommand,
  type ResponseOutcome,
  type ResponseTracker,
  serializeErrPacket,
  serializeOkPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import { WriteCoalescer } from '@gatehouse/tunnel';
import type { Logger } from 'pino';
import { EngineError, EngineMysqlError } from '../errors.js';
import type { UserChangeLeg, UserChangeResult, UserChanger } from './change-user.js';
import type { CommandAudit } from './command-audit.js';
import type { CommandHooks, HookDecision } from './command-hooks.js';
import { decideCommand, type PolicyContext } from './command-policy.js';
import {
  absorbOutcome,
  type CommandRecord,
  createCommandRecord,
  createDenial,
  type StatementState,
} from './command-record.js';
import { withBoundTypes } from './execute-types.js';
import { endLostCommands } from './lost-reply.js';
import { ClientReader, type ClientReaderHandler, type CommandVerdict } from './relay-client-reader.js';
import type { RelayObserver } from './session-observer.js';
import type { RelayTracking } from './session-tracking.js';
import type { StatementIdMap } from './statement-id-map.js';

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
  /** onCommand / onResult (engine.hooks); absent when no module is configured. */
  readonly hooks?: CommandHooks;
  /** Metrics: command latency, ERR packets, denials (absent: nothing recorded). */
  readonly observer?: RelayObserver;
  /** Session state tracking (session-tracking.ts); absent: nothing tracked, OKs unchanged. */
  readonly tracking?: RelayTracking;
  /** After a live migration: the client's statement ids → the server's (statement-id-map.ts). */
  readonly ids?: StatementIdMap;
  /** The reply to a command changed the session (USE, reset, prepare). */
  readonly onSchema: (schema: string) => void;
  readonly onMalformed: (payload: Buffer, reason: string) => void;
  /** Answers COM_CHANGE_USER with a new database leg (change-user.ts); absent: refused by policy. */
  readonly changeUser?: UserChanger;
  /**
   * Runs once when both sides are closed; `err` when the relay failed; `moved` when the session
   * went on on another engine (live migration): it did not end.
   */
  readonly onEnd: (err: Error | undefined, moved: boolean) => void;
}

interface PendingUserChange {
  readonly command: ChangeUserCommand;
  readonly sequenceId: number;
  running: boolean;
}

const QUIT_PACKET = serializePacket(Buffer.from([Command.Quit]), 0);
/** Held reply bytes beyond which the database socket is paused until they are released. */
const HELD_LIMIT = 1024 * 1024;

export class Relay implements ClientReaderHandler {
  readonly #o: RelayOptions;
  readonly #client: Duplex;
  #upstream: Duplex;
  #tracker: ResponseTracker;
  /** The tracker lost the reply (lost-reply.ts): server bytes pass untracked until the next command. */
  #lost = false;
  readonly #reader: ClientReader;
  readonly #registry = new PreparedStatementRegistry<AuditStatement>();
  readonly #lookup = (statementId: number): StatementState | undefined => this.#registry.lookup(statementId);
  /** ERR packets of denied commands whose turn in the queue came, to follow the bytes before them. */
  #answered: Buffer[] = [];
  #closing: Buffer | undefined;
  /** Why the engine closes the session (requestClose): what the session's end reports. */
  #closeReason: EngineError | undefined;
  #closeSent = false;
  #ended = false;
  /** The client sent COM_QUIT: how its transport closes after that is not a failure. */
  #quitSent = false;
  /** A command waits for onCommand (the reader holds it). */
  #hookPending = false;
  #clientPaused = false;
  #upstreamPaused = false;
  /**
   * performance.now() of the last command or reply end: one clock reading per event serves the
   * idle limit and the latency metrics alike (a clock read costs ~200 ns on some hosts).
   */
  #lastActivity = performance.now();
  #closeTimer: NodeJS.Timeout | undefined;
  /** A COM_CHANGE_USER waiting for earlier replies to end, then for its new leg. */
  #userChange: PendingUserChange | undefined;
  /** Bytes for the client waiting for audit writes, in order; #heldBase counts those released. */
  #held: Buffer[] = [];
  #heldBase = 0;
  #heldBytes = 0;
  /** afterWrite() calls not yet answered. */
  #gatesOpen = 0;
  #heldPaused = false;
  #endAfterHeld = false;
  readonly #toTunnel: WriteCoalescer;
  /** Client bytes received so far (live migration: the proxy says how many it sent). */
  #received = 0;
  #receivedWaiters: Array<{ readonly bytes: number; readonly done: () => void }> = [];
  /** A live migration holds the commands: resolved once the session is between two commands. */
  #migrationHold: true | undefined;
  /** holdWhenIdle() waits: called when a reply ends with none pending; true once it held. */
  #idleWaiter: (() => boolean) | undefined;
  #moved = false;

  readonly #onServerData = (chunk: Buffer): void => this.#relayServer(chunk);
  readonly #onServerEnd = (): void => this.#finish(undefined);
  readonly #onServerError = (err: Error): void => this.#finish(err);
  readonly #onClientData = (chunk: Buffer): void => {
    // Only what came on the stream: the proxy's pause counts those bytes, not a handoff's.
    this.#received += chunk.length;
    if (this.#receivedWaiters.length > 0) this.#wakeReceived();
    this.#relayClient(chunk);
  };
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
    if (!this.#ended && this.#closing === undefined && this.#migrationHold === undefined) this.#reader.resume();
  };

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#client = options.client;
    this.#upstream = options.upstream;
    this.#tracker = this.#createTracker();
    this.#reader = new ClientReader(this, options.commandPrefixLimit);
    // Replies leave in writes of about one TLS record: one DATA frame per 16 KiB of a result of
    // small rows rather than one per chunk the database's socket handed over.
    this.#toTunnel = new WriteCoalescer({
      target: options.client,
      pause: () => {
        this.#upstreamPaused = true;
        this.#upstream.pause();
      },
      resume: this.#resumeUpstream,
    });
  }

  #createTracker(): ResponseTracker {
    return createResponseTracker({
      capabilities: this.#o.capabilities,
      mariadbCapabilities: this.#o.mariaDbCapabilities,
      onOutcome: (outcome) => this.#onOutcome(outcome),
      ...(this.#o.tracking !== undefined ? { onOkPacket: this.#o.tracking.onOkPacket } : {}),
      ...(this.#o.tracking?.onPrepareOkPacket !== undefined
        ? { onPrepareOkPacket: this.#o.tracking.onPrepareOkPacket }
        : {}),
    });
  }

  /** When the last command arrived or the last reply ended (ms since the epoch). */
  get lastActivity(): number {
    return performance.timeOrigin + this.#lastActivity;
  }

  /** A reply is under way, or a command waits for its hook. */
  get busy(): boolean {
    return this.#tracker.pendingCommands > 0 || this.#hookPending;
  }

  /** The client is sending a LOCAL INFILE file. */
  get loadingData(): boolean {
    return this.#tracker.clientPhase === 'local-infile';
  }

  start(): void {
    const up = this.#upstream;
    const client = this.#client;
    this.#listenUpstream(up);
    client.on('data', this.#onClientData);
    client.on('end', () => {
      // The leg in use now: a COM_CHANGE_USER may have replaced the first one.
      if (!this.#ended) this.#upstream.end();
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
    if (this.#lost) {
      // Not a command: the client answers what the untracked reply asked of it.
      if (sequenceId !== 0) return 'forward';
      this.#lost = false;
    }
    // The client's statement ids become the server's before anything reads the command.
    if (sequenceId === 0) this.#o.ids?.rewriteCommand(prefix);
    try {
      if (sequenceId !== 0) throw new MysqlProtocolError(`command packet with sequence id ${sequenceId}, expected 0`);
      // A command that waits for a hook outlives this call: it keeps a copy of its bytes.
      command = parseClientCommand(this.#o.hooks?.enabled ? Buffer.from(prefix) : prefix, {
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
    if (command.kind === 'change_user' && this.#o.changeUser !== undefined) {
      // Answered by the engine with a new database leg, between commands: nothing newer is read
      // until it is done (#settle starts it once earlier replies have ended).
      this.#userChange = { command, sequenceId, running: false };
      this.#reader.stop();
      return 'drop';
    }
    const verdict = decideCommand(command, this.#o.policy);
    if (verdict.kind === 'deny') return this.#deny(command, verdict.err, sequenceId);
    const hooks = this.#o.hooks;
    // The first execute of a moved statement that leaves its types to the server: it is sent
    // with the types the client bound on the old server (execute-types.ts).
    const rebound =
      command.kind === 'stmt_execute' && this.#o.ids !== undefined && !hooks?.wants(command)
        ? this.#rebindTypes(prefix, command.statementId, complete)
        : undefined;
    if (rebound !== undefined) {
      this.#hookPending = true;
      queueMicrotask(() => {
        this.#hookPending = false;
        if (this.#ended) return;
        this.#send(command, verdict.schema, performance.now(), complete);
        this.#reader.release('forward', rebound);
      });
      return 'hold';
    }
    if (hooks?.wants(command)) {
      // The reader holds this command and everything behind it until the hook has answered.
      this.#hookPending = true;
      hooks.decide(command, complete).then(
        (decision) => this.#afterHook(decision, sequenceId, complete),
        (err: unknown) => this.#finish(err as Error),
      );
      return 'hold';
    }
    this.#send(command, verdict.schema, now, complete);
    return 'forward';
  }

  /** The execute as a whole packet with its statement's types bound, when it needs them. */
  #rebindTypes(payload: Buffer, statementId: number, complete: boolean): Buffer | undefined {
    const types = this.#o.ids!.takeTypesToBind(statementId);
    if (types === undefined || !complete) return undefined;
    const rewritten = withBoundTypes(payload, types);
    return rewritten === undefined ? undefined : serializePacket(rewritten, 0);
  }

  #afterHook(decision: HookDecision, sequenceId: number, complete: boolean): void {
    this.#hookPending = false;
    if (this.#ended) return;
    const extras = { fields: decision.fields, originalQuery: decision.original };
    if (decision.kind === 'deny') {
      this.#deny(decision.command, decision.err, sequenceId, extras, decision.byHook);
      this.#reader.release('drop');
      return;
    }
    const record = this.#send(decision.command, decision.schema, performance.now(), complete);
    if (decision.fields !== undefined || decision.original !== undefined) record.hooks = extras;
    this.#reader.release('forward', decision.packet);
  }

  #deny(
    command: ClientCommand,
    err: ErrFields,
    sequenceId: number,
    hooks?: AuditHookExtras,
    byHook = false,
  ): CommandVerdict {
    this.#o.counters.deniedCommands++;
    this.#o.observer?.onDenied(err, byHook);
    const emitted = this.#o.gate?.emitted;
    const packet = serializePacket(serializeErrPacket(err, this.#o.capabilities), (sequenceId + 1) & 0xff);
    const denial = createDenial(command, err, packet, hooks);
    // Queued like any command: its event and its ERR come once the replies before it end.
    this.#tracker.onCommand(createCommandRecord(command, undefined, performance.now(), this.#lookup, false, denial));
    if (this.#tracker.pendingCommands === 0) this.#sendAnswered(this.#o.gate?.emitted !== emitted);
    // Earlier replies are still coming: nothing newer goes to the server until the ERR has gone.
    else this.#reader.stop();
    return 'drop';
  }

  /** Queues the record of a command about to go to the server. */
  #send(command: ClientCommand, schema: string | undefined, now: number, complete: boolean): CommandRecord {
    const audit = this.#o.audit;
    // Built before the registry sees the command: an execute keeps the statement a close
    // right behind it would forget.
    const record = createCommandRecord(command, schema, audit.now(), this.#lookup, audit.queryEvents);
    this.#registry.observe(command);
    this.#o.tracking?.onCommand(command, record, complete);
    if (command.kind === 'quit') this.#quitSent = true;
    this.#o.observer?.onForwarded(command.kind, now);
    this.#tracker.onCommand(record);
    return record;
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
    if (!this.#lost) {
      try {
        this.#tracker.pushServer(chunk);
      } catch (err) {
        if (err instanceof MysqlProtocolError) this.#loseReply(err);
        else {
          // Not the reply's fault (an audit sink that threw): the session ends on it.
          this.#o.log.warn({ err }, 'following a database reply failed');
          this.#finish(err as Error);
          return;
        }
      }
    }
    this.#o.counters.bytesToClient += chunk.length;
    // A command whose reply ends in this chunk produced an audit event: the chunk (and so its
    // last packet) waits until that event is written.
    const gated = this.#o.gate?.emitted !== emitted;
    const splice = this.#o.tracking?.splice;
    if (splice === undefined) this.#toClient(chunk, gated);
    else {
      // OK packets re-encoded for the client; the last piece carries the audit gate.
      const pieces = splice(chunk, this.#lost ? undefined : this.#tracker);
      for (let i = 0; i < pieces.length; i++) this.#toClient(pieces[i]!, gated && i === pieces.length - 1);
    }
    // A denial whose turn came in this chunk: its ERR follows the reply that ended before it.
    if (this.#answered.length > 0) this.#sendAnswered(true);
    if (this.#reader.stopped && this.#tracker.pendingCommands === 0) this.#settle();
    // A migration waits for this moment: synchronously, before the client can answer the reply.
    if (this.#idleWaiter !== undefined && this.#tracker.pendingCommands === 0) this.#idleWaiter();
  }

  /** The tracker cannot follow this reply: it passes untracked, and its commands end in the audit. */
  #loseReply(err: MysqlProtocolError): void {
    this.#o.log.warn({ err }, 'a database reply the gateway cannot follow; relayed unchanged until the next command');
    const unfinished = this.#tracker.unfinished();
    this.#lost = true;
    this.#tracker = this.#createTracker();
    this.#lastActivity = performance.now();
    endLostCommands(unfinished, err.message, this.#o.audit);
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
    if (this.#endAfterHeld) this.#toTunnel.end();
  }

  /** Ends the client's side once the held bytes are out. */
  #endClient(): void {
    if (this.#held.length > 0) this.#endAfterHeld = true;
    else this.#toTunnel.end();
  }

  #writeClient(bytes: Buffer): void {
    this.#toTunnel.write(bytes);
  }

  /** The ERRs of denials whose turn came; `gated`: their events were emitted in this work. */
  #sendAnswered(gated: boolean): void {
    const packets = this.#answered;
    this.#answered = [];
    for (const packet of packets) this.#toClient(packet, gated);
  }

  #onOutcome(outcome: ResponseOutcome): void {
    if (outcome.done) this.#lastActivity = performance.now();
    const denied = (outcome.command as CommandRecord | undefined)?.denial;
    if (denied !== undefined) {
      // A denial's turn: no server reply, so nothing for the latency metrics.
      this.#o.audit.onFinished(outcome.command as CommandRecord);
      this.#answered.push(denied.packet);
      return;
    }
    // Every outcome, a stray ERR included (the observer counts ERR packets by class).
    this.#o.observer?.onOutcome(outcome, this.#lastActivity);
    this.#o.tracking?.onOutcome(outcome);
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
    if (record.kind === 'reset_connection' && outcome.kind === 'ok') this.#o.ids?.clear();
    this.#o.audit.onFinished(record);
    this.#o.hooks?.finished(record);
    // After the event, which names the schema the command ran in.
    if (record.error === undefined) {
      if (record.kind === 'init_db') this.#o.onSchema(record.text);
      else if (record.kind === 'query' && record.schema !== undefined) this.#o.onSchema(record.schema);
    }
  }

  /** The reader stopped: send what waits once no reply is in flight, then go on or close. */
  #settle(): void {
    if (this.#ended || this.#closeSent || !this.#reader.stopped || this.#tracker.pendingCommands > 0) return;
    if (this.#closing !== undefined) {
      this.#closeSent = true;
      this.#toClient(this.#closing, false);
      this.#endClient();
      this.#upstream.end(QUIT_PACKET);
      return;
    }
    if (this.#userChange !== undefined) {
      this.#startUserChange(this.#userChange);
      return;
    }
    if (this.#migrationHold !== undefined) return;
    setImmediate(this.#resumeReader);
  }

  // --- live migration (session-migration.ts) ---

  /** Client bytes received on this stream so far. */
  get receivedFromClient(): number {
    return this.#received;
  }

  /** Resolves once `bytes` client bytes in all have been received (or the session ended). */
  waitReceived(bytes: number): Promise<void> {
    if (this.#received >= bytes || this.#ended) return Promise.resolve();
    return new Promise((done) => this.#receivedWaiters.push({ bytes, done }));
  }

  #wakeReceived(): void {
    const waiting = this.#receivedWaiters;
    this.#receivedWaiters = [];
    for (const w of waiting) {
      if (this.#received >= w.bytes || this.#ended) w.done();
      else this.#receivedWaiters.push(w);
    }
  }

  /**
   * Resolves true at the first moment the session is between two commands (no reply in flight,
   * the client between packets) and `ready()` holds: the command reader stops right there,
   * before the client can have seen the last reply, so no newer command is acted on; what the
   * client sends from then on is kept (heldClientBytes). False after `timeoutMs`.
   */
  holdWhenIdle(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (this.#tryHold(ready)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.#idleWaiter = () => {
        if (!this.#tryHold(ready)) return false;
        clearTimeout(timer);
        this.#idleWaiter = undefined;
        resolve(true);
        return true;
      };
    });
  }

  #tryHold(ready: () => boolean): boolean {
    if (this.#ended || this.#closing !== undefined || this.#userChange !== undefined) return false;
    if (this.#tracker.pendingCommands > 0 || this.#hookPending || this.#reader.stopped) return false;
    if (!this.#reader.atBoundary || !ready()) return false;
    this.#migrationHold = true;
    this.#reader.stop();
    return true;
  }

  /** The client's bytes received since holdWhenIdle() stopped the reader (a copy). */
  heldClientBytes(): Buffer {
    return this.#reader.heldBytes();
  }

  /** Reads commands again after holdWhenIdle(), those that came meanwhile first. */
  releaseCommands(): void {
    if (this.#migrationHold === undefined) return;
    this.#migrationHold = undefined;
    if (!this.#ended && this.#closing === undefined) setImmediate(this.#resumeReader);
  }

  /** Bytes the client sent to the session's first engine that it never read (a handoff's). */
  pushClientBytes(bytes: Buffer): void {
    if (bytes.length > 0) this.#relayClient(bytes);
  }

  /** The database leg for the engine's own queries while commands are held; give it back after. */
  borrowUpstream(): Duplex {
    this.#upstream.off('data', this.#onServerData);
    return this.#upstream;
  }

  returnUpstream(): void {
    if (this.#ended) return;
    this.#upstream.on('data', this.#onServerData);
    if (!this.#upstreamPaused && !this.#heldPaused) this.#upstream.resume();
  }

  /**
   * The session goes on on another engine: this leg says COM_QUIT, the stream ends after every
   * held reply byte, and the session's end is not reported as one.
   */
  endMoved(): void {
    if (this.#ended) return;
    this.#moved = true;
    this.#upstream.off('data', this.#onServerData);
    this.#upstream.end(QUIT_PACKET);
    this.#finish(undefined);
  }

  // --- COM_CHANGE_USER: a new database leg between commands ---

  #startUserChange(change: PendingUserChange): void {
    if (change.running) return;
    change.running = true;
    const emitted = this.#o.gate?.emitted;
    this.#o.changeUser!(change.command).then(
      (result) => this.#endUserChange(change.sequenceId, result, emitted),
      (err: unknown) => this.#finish(err as Error),
    );
  }

  #endUserChange(sequenceId: number, result: UserChangeResult, emitted: number | undefined): void {
    this.#userChange = undefined;
    if (this.#ended || this.#closeSent) {
      if (result.kind === 'ok') result.leg.socket.destroy();
      return;
    }
    const caps = this.#o.capabilities;
    let payload: Buffer;
    if (result.kind === 'ok') {
      result.leg.commit();
      this.#swapUpstream(result.leg);
      // The server forgets every prepared statement with the session, and so does the registry.
      this.#registry.clear();
      this.#o.ids?.clear();
      payload = serializeOkPacket({ statusFlags: result.leg.statusFlags, warnings: result.leg.warnings }, caps);
    } else {
      if (result.denied) {
        this.#o.counters.deniedCommands++;
        this.#o.observer?.onDenied(result.err);
      }
      payload = serializeErrPacket(result.err, caps);
    }
    this.#lastActivity = performance.now();
    // The reply follows the client's COM_CHANGE_USER directly, as the server's OK or ERR would.
    this.#toClient(serializePacket(payload, (sequenceId + 1) & 0xff), this.#o.gate?.emitted !== emitted);
    this.#settle();
  }

  /** Puts the new leg in place of the old one, which is told COM_QUIT and left to close. */
  #swapUpstream(leg: UserChangeLeg): void {
    const old = this.#upstream;
    old.off('data', this.#onServerData);
    old.off('end', this.#onServerEnd);
    old.off('close', this.#onServerEnd);
    old.off('error', this.#onServerError);
    old.off('drain', this.#resumeClient);
    old.on('error', () => {});
    old.end(QUIT_PACKET);
    setTimeout(() => old.destroy(), 1000).unref();
    const next = leg.socket;
    this.#upstream = next;
    this.#listenUpstream(next);
    if (this.#clientPaused) this.#resumeClient();
    if (leg.leftover.length > 0) this.#relayServer(leg.leftover);
    if (!this.#upstreamPaused && !this.#heldPaused) next.resume();
    else next.pause();
  }

  #listenUpstream(up: Duplex): void {
    up.on('data', this.#onServerData);
    up.on('end', this.#onServerEnd);
    up.on('close', this.#onServerEnd);
    up.on('error', this.#onServerError);
  }

  #finish(err: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#closeTimer);
    // Denials queued behind a reply that never ended: what was refused is still recorded.
    for (const queued of this.#tracker.takeQueued()) {
      const record = queued as CommandRecord;
      if (record.denial !== undefined) this.#o.audit.onFinished(record);
    }
    this.#upstream.off('data', this.#onServerData);
    this.#client.off('data', this.#onClientData);
    if (err !== undefined) {
      this.#toTunnel.discard();
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
    this.#wakeReceived();
    this.#o.onEnd(this.#closeReason ?? (this.#quitSent || this.#moved ? undefined : err), this.#moved);
  }
}
