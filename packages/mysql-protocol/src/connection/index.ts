// Public surface of mysql/connection: connection-phase messages, client auth plugins, upstream
// login, the server side of the handshake, and FetchMySQLVersion.
export {
  DEFAULT_MYSQL_PORT,
  formatMysqlAddress,
  type MysqlAddress,
  parseMysqlAddress,
} from './address.js';
export {
  type AuthContext,
  AuthPluginName,
  type AuthPluginNameValue,
  CachingSha2,
  type ClientAuthPlugin,
  createClientAuthPlugin,
  isSupportedAuthPlugin,
} from './auth/plugins.js';
export {
  deriveEd25519PublicKey,
  encryptPasswordWithPublicKey,
  scrambleCachingSha2,
  scrambleNativePassword,
  signEd25519,
} from './auth/scramble.js';
export {
  type AuthMoreData,
  type AuthNextFactor,
  AuthPacket,
  type AuthSwitchRequest,
  parseAuthMoreData,
  parseAuthNextFactor,
  parseAuthSwitchRequest,
  serializeAuthMoreData,
  serializeAuthNextFactor,
  serializeAuthSwitchRequest,
} from './auth-messages.js';
export {
  type CompressedSession,
  type CompressedStreamOptions,
  createCompressedStream,
} from './compressed-stream.js';

export {
  MysqlAuthUnsupportedError,
  MysqlConnectError,
  MysqlHandshakeError,
  MysqlServerError,
  MysqlTimeoutError,
  MysqlTlsError,
} from './errors.js';
export {
  type FetchMysqlVersionOptions,
  fetchMysqlVersion,
  type MysqlVersionInfo,
} from './fetch-version.js';
export {
  HandshakeChannel,
  type HandshakePacket,
  MAX_HANDSHAKE_PACKET,
} from './handshake-channel.js';
export {
  type ClientHello,
  type ConnectionAttributes,
  effectiveAuthPlugin,
  type HandshakeResponse41,
  type HandshakeResponseFields,
  parseClientHello,
  parseHandshakeResponse41,
  SSL_REQUEST_LENGTH,
  type SslRequest,
  type SslRequestFields,
  serializeHandshakeResponse41,
  serializeSslRequest,
} from './handshake-response.js';
export {
  type HandshakeV10,
  type HandshakeV10Fields,
  MARIADB_VERSION_PREFIX,
  parseHandshakeV10,
  serializeHandshakeV10,
  stripMariaDbVersionPrefix,
} from './handshake-v10.js';
export {
  createScramble,
  isPublicKeyRequest,
  SCRAMBLE_LENGTH,
  type ServerGreeting,
  ServerHandshake,
  type ServerHandshakeOptions,
} from './server-handshake.js';
export {
  dialMysql,
  type SocketKeepalive,
  startClientTls,
  type TlsMode,
  type UpstreamTlsOptions,
} from './transport.js';
export {
  type ConnectUpstreamOptions,
  chooseClientCapabilities,
  connectUpstream,
  DEFAULT_CHARACTER_SET,
  DEFAULT_UPSTREAM_CAPABILITIES,
  describeTls,
  FORWARDABLE_CAPABILITIES,
  type NegotiatedTls,
  serverErrorFromPacket,
  type UpstreamConnection,
} from './upstream-login.js';
