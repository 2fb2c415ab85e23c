// Where the CAs live: files under <data_dir>/ca (the embedded default) or PostgreSQL. The
// authorities code above it is the same for both; a storage only keeps state, certificates and
// private keys, and makes a rotation exclusive.
import type { CaState } from './ca-state.js';
import type { CaType } from './create-ca.js';

export interface CaStorage {
  /** For messages: the data dir, or "postgres://host/db". */
  readonly where: string;
  readState(type: CaType): Promise<CaState | undefined>;
  readCertificate(type: CaType, id: string): Promise<string>;
  /** The PKCS#8 PEM. Errors must not quote key bytes. */
  readPrivateKey(type: CaType, id: string): Promise<string>;
  /** Stores a new generation's certificate and key (before any state names it). */
  writeGeneration(type: CaType, id: string, certificatePem: string, keyPem: string): Promise<void>;
  /** Creates the state only if there is none; false when another process was first. */
  createState(type: CaType, state: CaState): Promise<boolean>;
  replaceState(type: CaType, state: CaState): Promise<void>;
  /** Runs `fn` exclusive of every other rotation of this type, in any process. */
  withLock<T>(type: CaType, fn: () => Promise<T>): Promise<T>;
}
