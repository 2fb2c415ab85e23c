// What every target offers the measurements: somewhere to connect with TLS and a client cert,
// and the processes whose memory counts against it.
import type { TargetName } from '../options.js';
import type { AuditVariant, HookVariant } from './gatehouse.js';

/** Files a TLS client needs: the CA that signed the server it talks to, and its own cert. */
export interface ClientTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** The MySQL user name to send (for Gatehouse, the db user; the cert carries the identity). */
  readonly user: string;
  readonly database: string;
  readonly tls: ClientTls;
}

/** Gateways that only one measurement starts: audit variants, the database leg without TLS resumption. */
export type ExtraTargetName =
  | AuditVariant
  | 'gatehouse-1proc-nodbresume'
  | 'gatehouse-1proc-nometrics'
  | 'gatehouse-1proc-autouser'
  | 'gatehouse-1proc-dbzip'
  | HookVariant;

/** What the bench database looks like, for targets that connect to it. */
export interface BenchDatabase {
  readonly host: string;
  readonly port: number;
  /** The CA that signed MariaDB's server certificate. */
  readonly serverCaFile: string;
  readonly dbUser: string;
  readonly database: string;
  /** mariadbd's pid, for the direct target's memory reference. */
  readonly pid: number;
}

export interface TargetContext {
  /** A private directory for this target's files (certs, configs, data dirs, logs). */
  readonly dir: string;
}

export interface Target {
  readonly name: TargetName | ExtraTargetName;
  /**
   * Runs before MariaDB starts; returns PEM CA certificates MariaDB must trust for client certs
   * (Gatehouse's db-client CA). Throws TargetUnavailableError when the target cannot run here.
   */
  prepare(ctx: TargetContext): Promise<{ readonly trustPems: readonly string[] }>;
  start(db: BenchDatabase): Promise<Endpoint>;
  stop(): Promise<void>;
  /** Processes whose RSS is this target's memory; for direct, MariaDB itself (a reference). */
  pids(): readonly number[];
  /** Where this target's own log is, for the error report. */
  readonly logFile?: string;
}

/** A target that cannot run on this checkout (e.g. the gateway has not landed yet). */
export class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}
