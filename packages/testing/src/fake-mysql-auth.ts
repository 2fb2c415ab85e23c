// The fake server's password checks: caching_sha2_password (fast auth from a cache, full auth
// over TLS or RSA) and mysql_native_password. MariaDB has no server side of caching_sha2, so
// this is what client tests of that plugin run against.
import { constants as cryptoConstants, generateKeyPairSync, type KeyObject, privateDecrypt } from 'node:crypto';
import {
  AuthPluginName,
  CachingSha2,
  effectiveAuthPlugin,
  type HandshakeResponse41,
  type ServerHandshake,
  scrambleCachingSha2,
  scrambleNativePassword,
  serializeAuthMoreData,
  serializeAuthSwitchRequest,
} from '@gatehouse/mysql-protocol';

export type FakeAuthPlugin = typeof AuthPluginName.CachingSha2Password | typeof AuthPluginName.NativePassword;

export interface FakeAuthState {
  readonly users: ReadonlyMap<string, string>;
  readonly plugin: FakeAuthPlugin;
  /** Users whose caching_sha2 digest is cached, so their next login takes the fast path. */
  readonly sha2Cache: Set<string>;
  readonly rsa: { readonly publicPem: string; readonly privateKey: KeyObject };
}

let sharedKeys: FakeAuthState['rsa'] | undefined;

/** One RSA key pair per process: generating one costs tens of milliseconds. */
export function fakeServerRsaKeys(): FakeAuthState['rsa'] {
  if (!sharedKeys) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    sharedKeys = { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
  }
  return sharedKeys;
}

export type FakeAuthOutcome = { readonly ok: true; readonly path: 'fast' | 'full' | 'native' } | { readonly ok: false };

/** Runs the server side of the exchange; the caller writes the final OK or ERR. */
export async function authenticateFake(
  hs: ServerHandshake,
  response: HandshakeResponse41,
  state: FakeAuthState,
  secure: boolean,
): Promise<FakeAuthOutcome> {
  const password = state.users.get(response.username);
  let proof = response.authResponse;
  if (effectiveAuthPlugin(response) !== state.plugin) {
    hs.write(serializeAuthSwitchRequest(state.plugin, Buffer.concat([hs.scramble, Buffer.from([0])])));
    proof = Buffer.from((await hs.read()).payload);
  }
  if (password === undefined) return { ok: false };
  if (state.plugin === AuthPluginName.NativePassword) {
    return scrambleNativePassword(password, hs.scramble).equals(proof) ? { ok: true, path: 'native' } : { ok: false };
  }
  // No password on either side: OK at once, as MySQL does (clients expect no fast-auth byte).
  if (password === '' && (proof.length === 0 || (proof.length === 1 && proof[0] === 0)))
    return { ok: true, path: 'fast' };
  if (state.sha2Cache.has(response.username)) {
    if (!scrambleCachingSha2(password, hs.scramble).equals(proof)) return { ok: false };
    hs.write(serializeAuthMoreData(Buffer.from([CachingSha2.FastAuthSuccess])));
    return { ok: true, path: 'fast' };
  }
  hs.write(serializeAuthMoreData(Buffer.from([CachingSha2.PerformFullAuth])));
  let packet = Buffer.from((await hs.read()).payload);
  if (!secure && packet.length === 1 && packet[0] === CachingSha2.RequestPublicKey) {
    hs.write(serializeAuthMoreData(Buffer.from(state.rsa.publicPem)));
    packet = Buffer.from((await hs.read()).payload);
  }
  let clear: Buffer;
  if (secure) clear = packet;
  else {
    try {
      clear = privateDecrypt(
        { key: state.rsa.privateKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        packet,
      );
    } catch {
      return { ok: false };
    }
    for (let i = 0; i < clear.length; i++) clear[i] = clear[i]! ^ hs.scramble[i % hs.scramble.length]!;
  }
  const given = clear[clear.length - 1] === 0 ? clear.subarray(0, clear.length - 1) : clear;
  if (given.toString('utf8') !== password) return { ok: false };
  state.sha2Cache.add(response.username);
  return { ok: true, path: 'full' };
}
