// The client's answer to the greeting: SSLRequest (the 32-byte prefix, then TLS) and
// HandshakeResponse41.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_ssl_request.html
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_response.html
// MariaDB: the last 4 of the 23 filler bytes carry extended capabilities when the client clears
// CLIENT_MYSQL. https://mariadb.com/kb/en/connection/#handshake-response-packet
import { BufferReader } from '../wire/buffer-reader.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import { Capability, CLIENT_MYSQL, hasCapability } from '../wire/capabilities.js';
import { MysqlProtocolError } from '../wire/protocol-error.js';
import { AuthPluginName } from './auth/plugins.js';

/** Capabilities, max packet size, character set and 23 filler bytes. */
export const SSL_REQUEST_LENGTH = 32;
const FILLER = 19;

export interface SslRequest {
  readonly kind: 'ssl-request';
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
  readonly maxPacketSize: number;
  readonly characterSet: number;
  readonly bytes: Buffer;
}

export type ConnectionAttributes = ReadonlyMap<string, string>;

export interface HandshakeResponse41 {
  readonly kind: 'handshake-response';
  readonly capabilities: number;
  readonly mariaDbCapabilities: number;
  readonly maxPacketSize: number;
  readonly characterSet: number;
  readonly username: string;
  readonly authResponse: Buffer;
  /** Empty when CLIENT_CONNECT_WITH_DB is not set. */
  readonly database: string;
  /** The plugin the auth response was made for; an empty name means mysql_native_password. */
  readonly authPluginName: string;
  readonly attributes: ConnectionAttributes;
  /** Set when the attribute block was malformed and dropped; the login itself goes on. */
  readonly attributesWarning?: string;
  readonly bytes: Buffer;
}

/** Either packet a server may receive after its greeting. */
export type ClientHello = SslRequest | HandshakeResponse41;

interface Prefix {
  capabilities: number;
  mariaDbCapabilities: number;
  maxPacketSize: number;
  characterSet: number;
}

function readPrefix(r: BufferReader): Prefix {
  const capabilities = r.u32();
  if (!hasCapability(capabilities, Capability.Protocol41)) {
    throw new MysqlProtocolError('the client does not speak protocol 4.1 (HandshakeResponse320 is not supported)');
  }
  const maxPacketSize = r.u32();
  const characterSet = r.u8();
  r.skip(FILLER);
  const extended = r.u32();
  const mariaDbCapabilities = hasCapability(capabilities, CLIENT_MYSQL) ? 0 : extended;
  return { capabilities, mariaDbCapabilities, maxPacketSize, characterSet };
}

/**
 * Parses what a client sends after the greeting. An SSLRequest is exactly the 32-byte prefix
 * with CLIENT_SSL set; anything longer is a HandshakeResponse41.
 */
export function parseClientHello(payload: Buffer): ClientHello {
  const r = new BufferReader(payload);
  const prefix = readPrefix(r);
  if (r.remaining === 0 && hasCapability(prefix.capabilities, Capability.Ssl)) {
    return { kind: 'ssl-request', ...prefix, bytes: payload };
  }
  return readResponseBody(r, prefix, payload);
}

export function parseHandshakeResponse41(payload: Buffer): HandshakeResponse41 {
  const r = new BufferReader(payload);
  return readResponseBody(r, readPrefix(r), payload);
}

function readResponseBody(r: BufferReader, prefix: Prefix, payload: Buffer): HandshakeResponse41 {
  const caps = prefix.capabilities;
  const username = r.nulString();
  let authResponse: Buffer;
  if (hasCapability(caps, Capability.PluginAuthLenencClientData)) authResponse = r.lenencBytes();
  else if (hasCapability(caps, Capability.SecureConnection)) authResponse = r.bytes(r.u8());
  else authResponse = r.nulBytes();
  // Some clients set the flags but end the packet early; what is missing is simply absent.
  const database =
    hasCapability(caps, Capability.ConnectWithDb) && r.remaining > 0 ? r.nulBytesOrRest().toString('utf8') : '';
  let authPluginName = '';
  if (hasCapability(caps, Capability.PluginAuth) && r.remaining > 0)
    authPluginName = r.nulBytesOrRest().toString('utf8');
  let attributes: ConnectionAttributes = new Map();
  let attributesWarning: string | undefined;
  if (hasCapability(caps, Capability.ConnectAttrs) && r.remaining > 0) {
    const parsed = readAttributes(r);
    if (typeof parsed === 'string') attributesWarning = parsed;
    else attributes = parsed;
  }
  return {
    kind: 'handshake-response',
    ...prefix,
    username,
    authResponse,
    database,
    authPluginName,
    attributes,
    ...(attributesWarning !== undefined ? { attributesWarning } : {}),
    bytes: payload,
  };
}

/** Reads the lenenc-sized key/value block; returns the reason instead of throwing when it is malformed. */
function readAttributes(r: BufferReader): Map<string, string> | string {
  try {
    const length = r.lenencInt();
    if (length > r.remaining) return `connection attributes claim ${length} bytes, only ${r.remaining} left`;
    const block = new BufferReader(r.buffer, r.offset, r.offset + length);
    r.skip(length);
    const out = new Map<string, string>();
    while (block.remaining > 0) {
      const key = block.lenencString();
      out.set(key, block.lenencString());
    }
    return out;
  } catch (err) {
    if (err instanceof MysqlProtocolError) return `malformed connection attributes: ${err.message}`;
    throw err;
  }
}

/** The plugin a HandshakeResponse's auth data was made for, with the empty-name rule applied. */
export function effectiveAuthPlugin(response: HandshakeResponse41): string {
  return response.authPluginName === '' ? AuthPluginName.NativePassword : response.authPluginName;
}

export interface SslRequestFields {
  readonly capabilities: number;
  readonly mariaDbCapabilities?: number;
  readonly maxPacketSize: number;
  readonly characterSet: number;
}

function writePrefix(w: BufferWriter, f: SslRequestFields): void {
  const caps = f.capabilities >>> 0;
  w.u32(caps)
    .u32(f.maxPacketSize >>> 0)
    .u8(f.characterSet)
    .fill(FILLER);
  w.u32(hasCapability(caps, CLIENT_MYSQL) ? 0 : (f.mariaDbCapabilities ?? 0) >>> 0);
}

export function serializeSslRequest(fields: SslRequestFields, writer = new BufferWriter(SSL_REQUEST_LENGTH)): Buffer {
  writePrefix(writer, { ...fields, capabilities: (fields.capabilities | Capability.Ssl) >>> 0 });
  return writer.flush();
}

export interface HandshakeResponseFields extends SslRequestFields {
  readonly username: string;
  readonly authResponse: Uint8Array;
  readonly database?: string;
  readonly authPluginName: string;
  readonly attributes?: ConnectionAttributes;
}

/** Serializes with the encodings the capabilities select (the caller sets the flags it needs). */
export function serializeHandshakeResponse41(fields: HandshakeResponseFields, writer = new BufferWriter(256)): Buffer {
  const caps = fields.capabilities >>> 0;
  writePrefix(writer, fields);
  writer.nulString(fields.username);
  if (hasCapability(caps, Capability.PluginAuthLenencClientData)) writer.lenencBytes(fields.authResponse);
  else if (hasCapability(caps, Capability.SecureConnection)) {
    if (fields.authResponse.length > 255)
      throw new RangeError('auth response longer than 255 bytes needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA');
    writer.u8(fields.authResponse.length).bytes(fields.authResponse);
  } else writer.nulBytes(fields.authResponse);
  if (hasCapability(caps, Capability.ConnectWithDb)) writer.nulString(fields.database ?? '');
  if (hasCapability(caps, Capability.PluginAuth)) writer.nulString(fields.authPluginName);
  if (hasCapability(caps, Capability.ConnectAttrs)) {
    const block = new BufferWriter(128);
    for (const [key, value] of fields.attributes ?? []) block.lenencString(key).lenencString(value);
    writer.lenencBytes(block.flush());
  }
  return writer.flush();
}
