// A minimal MySQL client over a plain socket, for driving the real server with capabilities
// mysql2 cannot set (CLIENT_DEPRECATE_EOF) and commands it never sends (cursors, COM_STMT_FETCH,
// COM_FIELD_LIST, COM_STATISTICS). It logs in with mysql_native_password and waits for each reply
// using a response tracker of its own; the recording relay between it and the server keeps the
// independent record of where replies end.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import {
  BufferReader,
  BufferWriter,
  Capability,
  createResponseTracker,
  type NegotiatedCapabilities,
  negotiateCapabilities,
  PacketParser,
  type ResponseOutcome,
  type ResponseTracker,
  readTrackedCommand,
  serializePacket,
} from '@gatehouse/mysql-protocol';

export interface RawClientOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  capabilities: number;
  mariadbCapabilities?: number;
}

export interface RawClient {
  readonly negotiated: NegotiatedCapabilities;
  /**
   * Sends a command and waits for the end of its reply. `data` supplies the client packets the
   * server asks for (LOCAL INFILE file data, ending with an empty packet).
   */
  command(payload: Buffer, data?: readonly Buffer[]): Promise<ResponseOutcome[]>;
  /** Sends all commands at once (pipelined) and waits for every reply. */
  pipeline(payloads: readonly Buffer[]): Promise<ResponseOutcome[]>;
  close(): Promise<void>;
}

function scramble(password: string, salt: Buffer): Buffer {
  const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest();
  const stage1 = sha1(password);
  const stage2 = sha1(Buffer.concat([salt, sha1(stage1)]));
  return Buffer.from(stage1.map((b, i) => b ^ (stage2[i] as number)));
}

export async function connectRawClient(o: RawClientOptions): Promise<RawClient> {
  const socket: Socket = connect({ host: o.host, port: o.port });
  const parser = new PacketParser();
  const inbox: { payload: Buffer; seq: number }[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let tracker: ResponseTracker | undefined;
  let lastServerSeq = 0;

  socket.on('data', (chunk: Buffer) => {
    try {
      if (tracker !== undefined) tracker.pushServer(chunk);
      parser.push(chunk, (payload, seq) => {
        lastServerSeq = seq;
        if (tracker === undefined) inbox.push({ payload: Buffer.from(payload), seq });
      });
    } catch (err) {
      failure = err as Error;
    }
    wake?.();
  });
  socket.on('error', (err) => {
    failure = err;
    wake?.();
  });
  socket.on('close', () => {
    failure ??= new Error('connection closed');
    wake?.();
  });

  async function until(cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  }
  async function nextPacket(): Promise<{ payload: Buffer; seq: number }> {
    await until(() => inbox.length > 0);
    return inbox.shift() as { payload: Buffer; seq: number };
  }

  // HandshakeV10: https://mariadb.com/kb/en/connection/#initial-handshake-packet
  const greeting = (await nextPacket()).payload;
  const r = new BufferReader(greeting);
  r.u8();
  r.nulString();
  r.u32();
  const salt1 = r.bytes(8);
  r.skip(1);
  let serverCaps = r.u16();
  r.skip(3);
  serverCaps = (serverCaps | (r.u16() << 16)) >>> 0;
  const authLength = r.u8();
  r.skip(6);
  const serverExt = r.u32();
  const salt2 = r.bytes(Math.max(13, authLength - 8) - 1);
  const salt = Buffer.concat([salt1, salt2]);
  const negotiated = negotiateCapabilities(
    { capabilities: serverCaps, mariaDbCapabilities: serverExt },
    { capabilities: o.capabilities, mariaDbCapabilities: o.mariadbCapabilities ?? 0 },
  );

  const w = new BufferWriter(128);
  w.u32(negotiated.capabilities | Capability.PluginAuth | Capability.SecureConnection)
    .u32(16 * 1024 * 1024)
    .u8(45);
  w.fill(19).u32(negotiated.mariaDbCapabilities);
  w.nulString(o.user);
  const auth = scramble(o.password, salt);
  w.u8(auth.length).bytes(auth);
  w.nulString(o.database);
  w.nulString('mysql_native_password');
  socket.write(serializePacket(w.flush(), 1));
  const reply = (await nextPacket()).payload;
  if (reply[0] !== 0x00) throw new Error(`login failed: ${reply.subarray(3).toString('utf8')}`);

  const outcomes: ResponseOutcome[] = [];
  tracker = createResponseTracker({
    capabilities: negotiated.capabilities,
    mariadbCapabilities: negotiated.mariaDbCapabilities,
    onOutcome: (x) => outcomes.push(x),
  });
  const t = tracker;

  return {
    negotiated,
    async command(payload, data = []) {
      const first = outcomes.length;
      const cmd = readTrackedCommand(payload);
      t.onCommand(cmd);
      socket.write(serializePacket(payload, 0));
      let sent = 0;
      await until(() => {
        if (t.clientPhase === 'local-infile' && sent < data.length) {
          // File packets continue the server's sequence.
          for (; sent < data.length; sent++) {
            const packet = data[sent] as Buffer;
            t.onClientData(packet.length);
            socket.write(serializePacket(packet, (lastServerSeq + 1 + sent) & 0xff));
          }
        }
        return outcomes.slice(first).some((x) => x.done && x.command === cmd);
      });
      return outcomes.slice(first);
    },
    async pipeline(payloads) {
      const first = outcomes.length;
      const commands = payloads.map((p) => readTrackedCommand(p));
      for (const c of commands) t.onCommand(c);
      socket.write(Buffer.concat(payloads.map((p) => serializePacket(p, 0))));
      const last = commands.at(-1);
      await until(() => outcomes.slice(first).some((x) => x.done && x.command === last));
      return outcomes.slice(first);
    },
    async close() {
      socket.end(serializePacket(Buffer.from([0x01]), 0));
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    },
  };
}
