import type { SecureContext } from 'node:tls';
import type { KeepaliveConfig } from '@gatehouse/common';
import type { TrustedNetworks } from '@gatehouse/common/proxy-protocol';
import type { Logger } from 'pino';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { SessionRouter } from '../routing/engine-router.js';
import type { TlsSessionCache } from '../tls/session-cache.js';
import type { ClientVerifier } from './client-certificate.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { GreetingProfile } from './greeting-profile.js';
import type { RefusalAudit } from './refusal-audit.js';
import type { SessionTokenIssuer } from './session-token-issuer.js';
import type { PeerCredentialsSupport } from './unix-peer.js';

/** What every client connection of one listener shares. */
export interface FrontDoorContext {
  readonly proxyId: string;
  readonly log: Logger;
  readonly limits: ConnectionLimits;
  readonly handshakeTimeoutMs: number;
  readonly trustedNetworks: TrustedNetworks;
  /** The greeting for a new connection (cached by the caller). */
  readonly greeting: () => GreetingProfile;
  /** The proxy's TLS certificate, renewed in place. */
  readonly secureContext: () => SecureContext;
  /** Where TLS 1.2 sessions are kept for resumption by id; absent with proxy.tls.resumption off. */
  readonly tlsSessions?: TlsSessionCache;
  readonly verifier: ClientVerifier;
  readonly router: SessionRouter;
  readonly metrics: ProxyMetrics;
  /** Audits the logins the proxy refuses itself; absent when this process has no audit store. */
  readonly refusals?: RefusalAudit;
  /** How clients on unix sockets are identified (the native addon, or why it is missing). */
  readonly peerCredentials: PeerCredentialsSupport;
  /** TCP keepalive on client sockets (config proxy.tcp_keepalive); default on. */
  readonly keepalive?: KeepaliveConfig;
  /** Signs each stream's session token (docs/migration.md); absent: streams carry none. */
  readonly sessionTokens?: SessionTokenIssuer;
  /** Next MySQL connection id for the greeting. */
  readonly nextConnectionId: () => number;
}

/** Who and where a relaying connection is, for the audit review's Live page. */
export interface LiveSession {
  readonly sessionId: string;
  readonly user: string;
  readonly roles: readonly string[];
  readonly dbService: string;
  readonly dbUser: string;
  readonly dbName: string;
  readonly engineId: string;
  /** "host:port" of the real client. */
  readonly clientAddr: string;
  /** The client's program: its `_program_name` (or libmariadb's `program_name`, `_client_name`) attribute, or "". */
  readonly program: string;
  readonly startedAt: Date;
}

/** A live client connection, handshaking or relaying, as the listener tracks it for drain. */
export interface LiveConnection {
  readonly phase: 'handshake' | 'relay';
  /** Set once the login succeeded. */
  readonly session?: LiveSession | undefined;
  readonly dbService: string | undefined;
  readonly bytesFromClient: () => number;
  readonly bytesToClient: () => number;
  close(): void;
}
