// Client side of the auth plugins, as small state machines the login loop drives: `start`
// answers the server's nonce, `continue` answers each AuthMoreData (0x01) payload.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods.html
import { MysqlAuthUnsupportedError, MysqlHandshakeError } from '../errors.js';
import {
  cleartextPassword,
  encryptPasswordWithPublicKey,
  scrambleCachingSha2,
  scrambleNativePassword,
  signEd25519,
} from './scramble.js';

export const AuthPluginName = {
  NativePassword: 'mysql_native_password',
  ClearPassword: 'mysql_clear_password',
  CachingSha2Password: 'caching_sha2_password',
  Sha256Password: 'sha256_password',
  ClientEd25519: 'client_ed25519',
} as const;

export type AuthPluginNameValue = (typeof AuthPluginName)[keyof typeof AuthPluginName];

/** caching_sha2_password's AuthMoreData status bytes and the client's key request. */
export const CachingSha2 = {
  RequestPublicKey: 0x02, // request_public_key
  FastAuthSuccess: 0x03, // fast_auth_success
  PerformFullAuth: 0x04, // perform_full_authentication
} as const;

/** sha256_password asks for the server's RSA key with this single byte. */
const SHA256_REQUEST_PUBLIC_KEY = 0x01;
const SCRAMBLE_LENGTH = 20;

export interface AuthContext {
  readonly password: string;
  /** TLS is on, or the transport is a unix socket: cleartext passwords may be sent. */
  readonly secure: boolean;
  /** A pinned server RSA public key (PEM); without it, the client asks the server for one. */
  readonly serverPublicKey?: string | Buffer;
}

export interface ClientAuthPlugin {
  readonly name: string;
  /** The auth response to the server's nonce (HandshakeResponse or AuthSwitchResponse). */
  start(nonce: Buffer): Buffer;
  /** The reply to an AuthMoreData payload, or undefined when the server speaks next. */
  continue(data: Buffer): Buffer | undefined;
}

function unexpectedMoreData(plugin: string): never {
  throw new MysqlHandshakeError(`the server sent AuthMoreData to ${plugin}, which does not expect any`);
}

function createNative(ctx: AuthContext): ClientAuthPlugin {
  return {
    name: AuthPluginName.NativePassword,
    start: (nonce) => scrambleNativePassword(ctx.password, nonce.subarray(0, SCRAMBLE_LENGTH)),
    continue: () => unexpectedMoreData(AuthPluginName.NativePassword),
  };
}

function createClear(ctx: AuthContext): ClientAuthPlugin {
  return {
    name: AuthPluginName.ClearPassword,
    start: () => {
      if (!ctx.secure) {
        throw new MysqlAuthUnsupportedError(
          AuthPluginName.ClearPassword,
          'the server asked for mysql_clear_password over an unencrypted connection; enable TLS to the database',
        );
      }
      return cleartextPassword(ctx.password);
    },
    continue: () => unexpectedMoreData(AuthPluginName.ClearPassword),
  };
}

/** Shared by caching_sha2_password and sha256_password: send the password over TLS or RSA. */
function fullAuth(ctx: AuthContext, nonce: Buffer, publicKey: string | Buffer | undefined, request: number): Buffer {
  if (ctx.secure) return cleartextPassword(ctx.password);
  if (publicKey !== undefined) return encryptPasswordWithPublicKey(ctx.password, nonce, publicKey);
  return Buffer.from([request]);
}

function createCachingSha2(ctx: AuthContext): ClientAuthPlugin {
  let nonce = Buffer.alloc(0);
  let awaitingKey = false;
  return {
    name: AuthPluginName.CachingSha2Password,
    start: (data) => {
      nonce = Buffer.from(data.subarray(0, SCRAMBLE_LENGTH));
      return scrambleCachingSha2(ctx.password, nonce);
    },
    continue: (data) => {
      if (awaitingKey) {
        awaitingKey = false;
        return encryptPasswordWithPublicKey(ctx.password, nonce, data);
      }
      if (data.length === 1 && data[0] === CachingSha2.FastAuthSuccess) return undefined;
      if (data.length === 1 && data[0] === CachingSha2.PerformFullAuth) {
        const reply = fullAuth(ctx, nonce, ctx.serverPublicKey, CachingSha2.RequestPublicKey);
        awaitingKey = reply.length === 1 && reply[0] === CachingSha2.RequestPublicKey && !ctx.secure;
        return reply;
      }
      throw new MysqlHandshakeError(
        `caching_sha2_password: unexpected AuthMoreData status 0x${(data[0] ?? 0).toString(16)}`,
      );
    },
  };
}

function createSha256(ctx: AuthContext): ClientAuthPlugin {
  let nonce = Buffer.alloc(0);
  return {
    name: AuthPluginName.Sha256Password,
    start: (data) => {
      nonce = Buffer.from(data.subarray(0, SCRAMBLE_LENGTH));
      // An empty password goes as a single NUL so the server can tell it from a key request.
      if (!ctx.secure && ctx.password.length === 0) return Buffer.from([0]);
      return fullAuth(ctx, nonce, ctx.serverPublicKey, SHA256_REQUEST_PUBLIC_KEY);
    },
    // The only AuthMoreData sha256_password receives is the PEM key it asked for.
    continue: (data) => encryptPasswordWithPublicKey(ctx.password, nonce, data),
  };
}

function createEd25519(ctx: AuthContext): ClientAuthPlugin {
  return {
    name: AuthPluginName.ClientEd25519,
    start: (nonce) => signEd25519(ctx.password, nonce.subarray(0, 32)),
    continue: () => unexpectedMoreData(AuthPluginName.ClientEd25519),
  };
}

const FACTORIES: Record<string, (ctx: AuthContext) => ClientAuthPlugin> = {
  [AuthPluginName.NativePassword]: createNative,
  [AuthPluginName.ClearPassword]: createClear,
  [AuthPluginName.CachingSha2Password]: createCachingSha2,
  [AuthPluginName.Sha256Password]: createSha256,
  [AuthPluginName.ClientEd25519]: createEd25519,
};

/** The client half of `name`, or a typed error naming the plugin we do not speak. */
export function createClientAuthPlugin(name: string, ctx: AuthContext): ClientAuthPlugin {
  const factory = FACTORIES[name];
  if (!factory) {
    throw new MysqlAuthUnsupportedError(
      name,
      `the server asked for auth plugin '${name}', which Gatehouse does not support`,
    );
  }
  return factory(ctx);
}

export function isSupportedAuthPlugin(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}
