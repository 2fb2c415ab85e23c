// The three certificate authorities of a cluster, stored under `<data_dir>/ca/<type>/`.
// Private keys are files of mode 0600 and never appear in logs or error messages.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError, isGatehouseError, type TrustedCa } from '@gatehouse/common';
import { createFileAtomic, writeFileAtomic } from '../files/atomic-file.js';
import { withLockFile } from '../files/lock-file.js';
import { type CaEntry, type CaState, CaStateSchema } from './ca-state.js';
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
}

export interface Authorities {
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
  /** Re-reads the data dir (after another process rotated). */
  reload(): Promise<void>;
}

export interface InitOptions {
  readonly algorithm?: KeyAlgorithm;
  readonly now?: Date;
}

const caDir = (dataDir: string, type: CaType): string => join(dataDir, 'ca', type);

function storageError(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('GH_ERR_CA_STORAGE', message, cause === undefined ? undefined : { cause });
}

/** state.json and certificates are public; only keys are 0600. */
const PUBLIC_FILE = { mode: 0o644 } as const;

/** Runs `fn` holding `<dir>/.lock`, so two rotations never both read the same state. */
async function withCaDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  try {
    return await withLockFile(lock, { timeoutMs: 10_000, staleMs: 60_000 }, fn);
  } catch (err) {
    if (!isGatehouseError(err, 'GH_ERR_STORE_LOCK_TIMEOUT')) throw err;
    throw storageError(`the CA directory ${dir} stayed locked by another process; remove ${lock} if no gatectl is running`, err);
  }
}

async function writeGeneration(dir: string, ca: NewCa): Promise<void> {
  await writeFile(join(dir, `${ca.id}.key`), await exportPrivateKeyPem(ca.keys.privateKey), { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, `${ca.id}.crt`), ca.cert.toString('pem'), { mode: 0o644, flag: 'wx' });
}

async function readState(dataDir: string, type: CaType): Promise<CaState | undefined> {
  const path = join(caDir(dataDir, type), 'state.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storageError(`cannot read ${path}`, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw storageError(`${path} is not valid JSON`, err);
  }
  const parsed = CaStateSchema.safeParse(json);
  if (!parsed.success) throw storageError(`${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (parsed.data.type !== type) throw storageError(`${path} describes the ${parsed.data.type} CA, not ${type}`);
  return parsed.data;
}

async function readRecord(dataDir: string, type: CaType, entry: CaEntry, active: boolean): Promise<CaRecord> {
  const path = join(caDir(dataDir, type), `${entry.id}.crt`);
  let pem: string;
  let cert: x509.X509Certificate;
  try {
    pem = await readFile(path, 'utf8');
    cert = new x509.X509Certificate(pem);
  } catch (err) {
    throw storageError(`cannot read the ${type} CA certificate ${path}`, err);
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

async function loadType(dataDir: string, type: CaType): Promise<CaRecord[]> {
  const state = await readState(dataDir, type);
  if (!state) {
    throw new GatehouseError('GH_ERR_CA_NOT_INITIALIZED', `the ${type} CA does not exist in ${dataDir}; run 'gatectl ca init'`);
  }
  return Promise.all([
    readRecord(dataDir, type, state.active, true),
    ...state.previous.map((e) => readRecord(dataDir, type, e, false)),
  ]);
}

/** Creates the CAs that do not exist yet; returns which ones it made. Safe against a concurrent init. */
export async function initAuthorities(dataDir: string, options: InitOptions = {}): Promise<{ authorities: Authorities; created: CaType[] }> {
  const now = options.now ?? new Date();
  const algorithm = options.algorithm ?? 'ecdsa-p256';
  const created: CaType[] = [];
  await mkdir(join(dataDir, 'ca'), { recursive: true, mode: 0o700 });
  for (const type of CA_TYPES) {
    const dir = caDir(dataDir, type);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    if (await readState(dataDir, type)) continue;
    const ca = await createCa(type, algorithm, now);
    await writeGeneration(dir, ca);
    const state: CaState = { version: 1, type, active: { id: ca.id, algorithm, created: now.toISOString() }, previous: [] };
    // A concurrent init that won the race leaves its state in place; our unused files are harmless.
    if (await createFileAtomic(join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`, PUBLIC_FILE)) created.push(type);
  }
  return { authorities: await openAuthorities(dataDir), created };
}

/** What the first `gatehouse start` calls: the CAs, created when missing. */
export async function ensureAuthorities(dataDir: string, options: InitOptions = {}): Promise<Authorities> {
  return (await initAuthorities(dataDir, options)).authorities;
}

/** Opens existing CAs; throws GH_ERR_CA_NOT_INITIALIZED when there are none. */
export async function openAuthorities(dataDir: string): Promise<Authorities> {
  const records = new Map<CaType, CaRecord[]>();
  const signers = new Map<string, Promise<CaSigner>>();
  const load = async (): Promise<void> => {
    for (const type of CA_TYPES) records.set(type, await loadType(dataDir, type));
  };
  await load();
  const list = (type: CaType): CaRecord[] => records.get(type)!;
  const trustedCas = (type: CaType, now = new Date()): CaRecord[] =>
    list(type).filter((r) => r.active || (r.trustedUntil !== undefined && r.trustedUntil.getTime() > now.getTime()));

  async function loadSigner(record: CaRecord): Promise<CaSigner> {
    const path = join(caDir(dataDir, record.type), `${record.id}.key`);
    try {
      const privateKey = await importPrivateKeyPem(await readFile(path, 'utf8'), record.algorithm);
      return { record, cert: new x509.X509Certificate(record.certificate), privateKey };
    } catch (err) {
      // The cause may quote key bytes; keep only its code.
      const code = (err as NodeJS.ErrnoException).code;
      throw storageError(`cannot load the ${record.type} CA private key ${path}${code ? ` (${code})` : ''}`);
    }
  }

  return {
    dataDir,
    list,
    trustedCas,
    exportPem: (type, now) => trustedCas(type, now).map((r) => r.certificate.trimEnd()).join('\n').concat('\n'),
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
      const dir = caDir(dataDir, type);
      await withCaDirLock(dir, async () => {
        const state = await readState(dataDir, type);
        if (!state) throw new GatehouseError('GH_ERR_CA_NOT_INITIALIZED', `the ${type} CA does not exist in ${dataDir}; run 'gatectl ca init'`);
        const algorithm = options.algorithm ?? state.active.algorithm;
        const ca = await createCa(type, algorithm, now);
        await writeGeneration(dir, ca);
        const outgoing = { ...state.active, trusted_until: new Date(now.getTime() + options.graceMs).toISOString() };
        const next: CaState = {
          version: 1,
          type,
          active: { id: ca.id, algorithm, created: now.toISOString() },
          previous: [outgoing, ...state.previous],
        };
        await writeFileAtomic(join(dir, 'state.json'), `${JSON.stringify(next, null, 2)}\n`, PUBLIC_FILE);
      });
      records.set(type, await loadType(dataDir, type));
      return list(type)[0]!;
    },
    reload: load,
  };
}
