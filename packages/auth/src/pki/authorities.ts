// The three certificate authorities of a cluster, on a CaStorage: files under
// `<data_dir>/ca/<type>/` by default, or PostgreSQL. Private keys never appear in logs or
// error messages.
import { createHash } from 'node:crypto';
import { GatehouseError, type TrustedCa } from '@gatehouse/common';
import { caStorageError, openCaFileStorage } from './ca-file-storage.js';
import type { CaEntry, CaState } from './ca-state.js';
import type { CaStorage } from './ca-storage.js';
import { CA_TYPES, type CaType, createCa, type NewCa } from './create-ca.js';
import { type CryptoKey, exportPrivateKeyPem, importPrivateKeyPem, type KeyAlgorithm, x509 } from './keys.js';

export interface CaRecord extends TrustedCa {
  readonly type: CaType;
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  /** PEM. */
  readonly certificate: string;
  readonly subject: string;
  /** SHA-256 of the certificate's DER, lower-case hex: what engines pin. */
  readonly fingerprint: string;
  readonly created: Date;
  readonly notAfter: Date;
  /** The active CA signs; the others only verify, until `trustedUntil`. */
  readonly active: boolean;
  readonly trustedUntil?: Date;
}

export interface CaSigner {
  readonly record: CaRecord;
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

export interface RotateOptions {
  /** How long the outgoing CA is still trusted. */
  readonly graceMs: number;
  readonly now?: Date;
  /** Defaults to the outgoing CA's algorithm. */
  readonly algorithm?: KeyAlgorithm;
  /**
   * Rotate only if this is still the active CA's id (compare-and-swap): of two operators who
   * rotate at once from the same view, one wins and the other gets GH_ERR_STORE_CONFLICT.
   */
  readonly expectActive?: string;
}

export interface Authorities {
  /** Where the CAs live: the data dir, or the PostgreSQL database. */
  readonly dataDir: string;
  /** Every generation on file, the active one first. */
  list(type: CaType): readonly CaRecord[];
  /** The CAs to verify against at `now`: the active one and those still in their grace period. */
  trustedCas(type: CaType, now?: Date): readonly CaRecord[];
  /** The PEM bundle of `trustedCas`: what `gatectl auth export` prints. */
  exportPem(type: CaType, now?: Date): string;
  /** The active CA with its private key, for signing. */
  signer(type: CaType): Promise<CaSigner>;
  /** Makes a new active CA; the outgoing one stays trusted for `graceMs`. */
  rotate(type: CaType, options: RotateOptions): Promise<CaRecord>;
  /** Re-reads the storage (after another process rotated). */
  reload(): Promise<void>;
}

export interface InitOptions {
  readonly algorithm?: KeyAlgorithm;
  readonly now?: Date;
}

type Where = string | CaStorage;

const notInitialized = (type: CaType, where: string): GatehouseError =>
  new GatehouseError('GH_ERR_CA_NOT_INITIALIZED', `the ${type} CA does not exist in ${where}; run 'gatectl ca init'`);

async function storageOf(where: Where, create = false): Promise<CaStorage> {
  return typeof where === 'string' ? openCaFileStorage(where, { create }) : where;
}

async function writeGeneration(storage: CaStorage, type: CaType, ca: NewCa): Promise<void> {
  await storage.writeGeneration(type, ca.id, ca.cert.toString('pem'), await exportPrivateKeyPem(ca.keys.privateKey));
}

async function readRecord(storage: CaStorage, type: CaType, entry: CaEntry, active: boolean): Promise<CaRecord> {
  const pem = await storage.readCertificate(type, entry.id);
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pem);
  } catch (err) {
    throw caStorageError(`the ${type} CA certificate ${entry.id} in ${storage.where} cannot be parsed`, err);
  }
  return {
    type,
    id: entry.id,
    algorithm: entry.algorithm,
    certificate: pem,
    subject: cert.subject,
    fingerprint: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex'),
    created: new Date(entry.created),
    notAfter: cert.notAfter,
    active,
    ...(entry.trusted_until !== undefined ? { trustedUntil: new Date(entry.trusted_until) } : {}),
  };
}

async function loadType(storage: CaStorage, type: CaType): Promise<CaRecord[]> {
  const state = await storage.readState(type);
  if (!state) throw notInitialized(type, storage.where);
  return Promise.all([
    readRecord(storage, type, state.active, true),
    ...state.previous.map((e) => readRecord(storage, type, e, false)),
  ]);
}

/** Creates the CAs that do not exist yet; returns which ones it made. Safe against a concurrent init. */
export async function initAuthorities(
  where: Where,
  options: InitOptions = {},
): Promise<{ authorities: Authorities; created: CaType[] }> {
  const now = options.now ?? new Date();
  const algorithm = options.algorithm ?? 'ecdsa-p256';
  const storage = await storageOf(where, true);
  const created: CaType[] = [];
  for (const type of CA_TYPES) {
    if (await storage.readState(type)) continue;
    const ca = await createCa(type, algorithm, now);
    await writeGeneration(storage, type, ca);
    const state: CaState = {
      version: 1,
      type,
      active: { id: ca.id, algorithm, created: now.toISOString() },
      previous: [],
    };
    if (await storage.createState(type, state)) created.push(type);
  }
  return { authorities: await openAuthorities(storage), created };
}

/** What the first `gatehouse start` calls: the CAs, created when missing. */
export async function ensureAuthorities(where: Where, options: InitOptions = {}): Promise<Authorities> {
  return (await initAuthorities(where, options)).authorities;
}

/** Opens existing CAs; throws GH_ERR_CA_NOT_INITIALIZED when there are none. */
export async function openAuthorities(where: Where): Promise<Authorities> {
  const storage = await storageOf(where);
  const records = new Map<CaType, CaRecord[]>();
  const signers = new Map<string, Promise<CaSigner>>();
  const load = async (): Promise<void> => {
    for (const type of CA_TYPES) records.set(type, await loadType(storage, type));
  };
  await load();
  const list = (type: CaType): CaRecord[] => records.get(type)!;
  const trustedCas = (type: CaType, now = new Date()): CaRecord[] =>
    list(type).filter((r) => r.active || (r.trustedUntil !== undefined && r.trustedUntil.getTime() > now.getTime()));

  async function loadSigner(record: CaRecord): Promise<CaSigner> {
    const pem = await storage.readPrivateKey(record.type, record.id);
    try {
      const privateKey = await importPrivateKeyPem(pem, record.algorithm);
      return { record, cert: new x509.X509Certificate(record.certificate), privateKey };
    } catch {
      // The cause may quote key bytes; say only which key.
      throw caStorageError(`cannot load the ${record.type} CA private key ${record.id} from ${storage.where}`);
    }
  }

  return {
    dataDir: storage.where,
    list,
    trustedCas,
    exportPem: (type, now) =>
      trustedCas(type, now)
        .map((r) => r.certificate.trimEnd())
        .join('\n')
        .concat('\n'),
    signer(type) {
      const active = list(type)[0]!;
      let signer = signers.get(active.id);
      if (!signer) {
        signer = loadSigner(active);
        signers.set(active.id, signer);
        signer.catch(() => signers.delete(active.id));
      }
      return signer;
    },
    async rotate(type, options) {
      const now = options.now ?? new Date();
      await storage.withLock(type, async () => {
        const state = await storage.readState(type);
        if (!state) throw notInitialized(type, storage.where);
        if (options.expectActive !== undefined && state.active.id !== options.expectActive) {
          throw new GatehouseError(
            'GH_ERR_STORE_CONFLICT',
            `the ${type} CA was rotated by another process meanwhile (active is now ${state.active.id}); check 'gatectl ca ls' before rotating again`,
          );
        }
        const algorithm = options.algorithm ?? state.active.algorithm;
        const ca = await createCa(type, algorithm, now);
        await writeGeneration(storage, type, ca);
        const outgoing = { ...state.active, trusted_until: new Date(now.getTime() + options.graceMs).toISOString() };
        await storage.replaceState(type, {
          version: 1,
          type,
          active: { id: ca.id, algorithm, created: now.toISOString() },
          previous: [outgoing, ...state.previous],
        });
      });
      records.set(type, await loadType(storage, type));
      return list(type)[0]!;
    },
    reload: load,
  };
}
