// A scriptable MySQL server for protocol edge cases a real server cannot be made to produce:
// caching_sha2_password full and fast auth, an ERR instead of the greeting, canned answers.
// In the spirit of Teleport's TestServer; not a stand-in for MariaDB.
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocketOptions } from 'node:tls';
import {
  AuthPluginName,
  Capability,
  Command,
  type HandshakeResponse41,
  hasCapability,
  PacketParser,
  ServerHandshake,
  serializeErrPacket,
  serializePacket,
} from '@gatehouse/mysql-protocol';
import { authenticateFake, type FakeAuthPlugin, type FakeAuthState, fakeServerRsaKeys } from './fake-mysql-auth.js';
import { encodeFakeResponse, type FakeResponse } from './fake-mysql-results.js';

export type { FakeResponse } from './fake-mysql-results.js';

export interface FakeMysqlServerOptions {
  /** Announced verbatim. Default '8.0.36-gatehouse-fake'. */
  readonly version?: string;
  /** The plugin every user authenticates with. Default caching_sha2_password. */
  readonly authPlugin?: FakeAuthPlugin;
  /** user → password. Unknown users and wrong passwords get ERR 1045. */
  readonly users?: Readonly<Record<string, string>>;
  /** Offer TLS with these options (key, cert, and ca/requestCert for client certs). */
  readonly tls?: TLSSocketOptions;
  /** Refuse clients that do not switch to TLS with ERR 3159. */
  readonly requireTls?: boolean;
  /** Send this ERR instead of the greeting, then close (e.g. 1040 too many connections). */
  readonly errFirst?: { readonly errno: number; readonly message: string; readonly sqlState?: string };
  /** Answers by query text; unknown queries get ERR 1064. */
  readonly queries?: Readonly<Record<string, FakeResponse>> | ((sql: string) => FakeResponse | undefined);
  /** CLIENT_* flags announced. Default: a MySQL 8-like set without compression. */
  readonly capabilities?: number;
}

export const FAKE_SERVER_CAPABILITIES =
  Capability.LongPassword |
  Capability.FoundRows |
  Capability.LongFlag |
  Capability.ConnectWithDb |
  Capability.LocalFiles |
  Capability.Protocol41 |
  Capability.Transactions |
  Capability.SecureConnection |
  Capability.MultiStatements |
  Capability.MultiResults |
  Capability.PsMultiResults |
  Capability.PluginAuth |
  Capability.ConnectAttrs |
  Capability.PluginAuthLenencClientData |
  Capability.SessionTrack |
  Capability.DeprecateEof;

export interface FakeLogin {
  readonly user: string;
  readonly database: string;
  readonly tls: boolean;
  /** 'fast' | 'full' for caching_sha2_password, 'native' for mysql_native_password. */
  readonly path: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly capabilities: number;
}

export interface FakeMysqlServer {
  readonly port: number;
  readonly address: { readonly kind: 'tcp'; readonly host: string; readonly port: number };
  /** COM_QUERY packets received, over all connections. */
  queryCount(): number;
  /** Connections that ended with COM_QUIT. */
  connsClosed(): number;
  /** Successful logins, in order. */
  logins(): readonly FakeLogin[];
  /** Forgets the caching_sha2 cache, so the next login of every user takes the full path. */
  clearAuthCache(): void;
  close(): Promise<void>;
}

const MAX_PACKET = 16 * 1024 * 1024;

export async function startFakeMysqlServer(options: FakeMysqlServerOptions = {}): Promise<FakeMysqlServer> {
  const state: FakeAuthState = {
    users: new Map(Object.entries(options.users ?? {})),
    plugin: options.authPlugin ?? AuthPluginName.CachingSha2Password,
    sha2Cache: new Set(),
    rsa: fakeServerRsaKeys(),
  };
  let queries = 0;
  let quits = 0;
  let nextId = 1;
  const logins: FakeLogin[] = [];
  const sockets = new Set<Socket>();
  let caps = options.capabilities ?? FAKE_SERVER_CAPABILITIES;
  if (options.tls) caps |= Capability.Ssl;

  const answer = (sql: string): FakeResponse => {
    const scripted = typeof options.queries === 'function' ? options.queries(sql) : options.queries?.[sql];
    return (
      scripted ?? { kind: 'err', errno: 1064, sqlState: '42000', message: `fake server has no answer for: ${sql}` }
    );
  };

  async function handle(socket: Socket): Promise<void> {
    if (options.errFirst) {
      const { errno, message, sqlState } = options.errFirst;
      socket.end(serializePacket(serializeErrPacket({ errno, message, ...(sqlState ? { sqlState } : {}) }, 0), 0));
      return;
    }
    const hs = new ServerHandshake(socket, { readTimeoutMs: 10_000 });
    hs.sendGreeting({
      serverVersion: options.version ?? '8.0.36-gatehouse-fake',
      connectionId: nextId++,
      capabilities: caps,
      authPluginName: state.plugin,
    });
    let hello = await hs.readClientHello();
    let secure = false;
    if (hello.kind === 'ssl-request') {
      if (!options.tls) throw new Error('client asked for TLS the fake server did not offer');
      await hs.upgradeToTls(options.tls);
      secure = true;
      hello = await hs.readHandshakeResponse();
    } else if (options.requireTls) {
      hs.sendErr({
        errno: 3159,
        sqlState: 'HY000',
        message: 'Connections using insecure transport are prohibited while --require_secure_transport=ON.',
      });
      socket.end();
      return;
    }
    const response = hello as HandshakeResponse41;
    const outcome = await authenticateFake(hs, response, state, secure);
    if (!outcome.ok) {
      hs.sendErr({
        errno: 1045,
        sqlState: '28000',
        message: `Access denied for user '${response.username}'@'localhost' (using password: YES)`,
      });
      hs.socket.end();
      return;
    }
    hs.sendOk();
    logins.push({
      user: response.username,
      database: response.database,
      tls: secure,
      path: outcome.path,
      attributes: response.attributes,
      capabilities: response.capabilities,
    });
    const { socket: live, leftover } = hs.detach();
    serveCommands(live, leftover, response.capabilities);
  }

  function serveCommands(socket: Duplex, leftover: Buffer, clientCaps: number): void {
    const parser = new PacketParser({ maxPacketSize: MAX_PACKET });
    const deprecateEof = hasCapability(clientCaps, Capability.DeprecateEof);
    const onPacket = (payload: Buffer): void => {
      const command = payload[0];
      if (command === Command.Quit) {
        quits++;
        socket.end();
        return;
      }
      let response: FakeResponse;
      if (command === Command.Query) {
        queries++;
        response = answer(payload.subarray(1).toString('utf8'));
      } else if (command === Command.Ping || command === Command.InitDb) response = { kind: 'ok' };
      else response = { kind: 'err', errno: 1047, sqlState: '08S01', message: 'Unknown command' };
      socket.write(encodeFakeResponse(response, clientCaps, deprecateEof));
    };
    const onData = (chunk: Buffer): void => {
      try {
        parser.push(chunk, onPacket);
      } catch {
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    if (leftover.length > 0) onData(leftover);
    socket.resume();
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    handle(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: { kind: 'tcp', host: '127.0.0.1', port },
    queryCount: () => queries,
    connsClosed: () => quits,
    logins: () => logins,
    clearAuthCache: () => state.sha2Cache.clear(),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
