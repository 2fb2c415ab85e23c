import type { SecureContext } from 'node:tls';
import type { TrustedNetworks } from '@gatehouse/common';
import type { Logger } from 'pino';
import type { SessionRouter } from '../routing/engine-router.js';
import type { PeerCredentialsSupport } from './unix-peer.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { ClientVerifier } from './client-certificate.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { GreetingProfile } from './greeting-profile.js';
import type { RefusalAudit } from './refusal-audit.js';

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
  readonly verifier: ClientVerifier;
  readonly router: SessionRouter;
  readonly metrics: ProxyMetrics;
  /** Audits the logins the proxy refuses itself; absent when this process has no audit store. */
  readonly refusals?: RefusalAudit;
  /** How clients on unix sockets are identified (the native addon, or why it is missing). */
  readonly peerCredentials: PeerCredentialsSupport;
  /** Next MySQL connection id for the greeting. */
  readonly nextConnectionId: () => number;
}

/** A live client connection, handshaking or relaying, as the listener tracks it for drain. */
export interface LiveConnection {
  readonly phase: 'handshake' | 'relay';
  readonly dbService: string | undefined;
  readonly bytesFromClient: () => number;
  readonly bytesToClient: () => number;
  close(): void;
}
