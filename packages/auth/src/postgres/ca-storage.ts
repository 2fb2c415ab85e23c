// The CAs in PostgreSQL: gh_ca holds each type's state (which generation signs, which are still
// trusted), gh_ca_generation the certificates and the sealed private keys. A rotation is one
// transaction under an advisory lock per CA type, so two rotations never read the same state.
import { GatehouseError } from '@gatehouse/common';
import { type CaState, CaStateSchema } from '../pki/ca-state.js';
import type { CaStorage } from '../pki/ca-storage.js';
import type { CaType } from '../pki/create-ca.js';
import type { SecretBox } from './secret-box.js';
import type { Sql } from './transactions.js';

const LOCK_BASE = 0x63610000; // "ca"
const LOCK_OFFSET: Record<CaType, number> = { user: 1, host: 2, 'db-client': 3 };

/** The advisory lock a rotation of `type` holds (tests hold it to line racers up). */
export function caLockKey(type: CaType): number {
  return LOCK_BASE + LOCK_OFFSET[type];
}

function corrupt(message: string): GatehouseError {
  return new GatehouseError('GH_ERR_CA_STORAGE', message);
}

export function createPostgresCaStorage(sql: Sql, box: SecretBox, where: string): CaStorage {
  const context = (type: CaType, id: string): string => `gatehouse ${type} CA key ${id}`;
  return {
    where,
    async readState(type) {
      const { rows } = await sql.query<{ state: unknown }>('SELECT state FROM gh_ca WHERE type = $1', [type]);
      if (!rows[0]) return undefined;
      const parsed = CaStateSchema.safeParse(rows[0].state);
      if (!parsed.success || parsed.data.type !== type) throw corrupt(`${where}: the ${type} CA state is invalid`);
      return parsed.data;
    },
    async readCertificate(type, id) {
      const { rows } = await sql.query<{ certificate: string }>(
        'SELECT certificate FROM gh_ca_generation WHERE type = $1 AND id = $2',
        [type, id],
      );
      if (!rows[0]) throw corrupt(`${where}: the ${type} CA certificate ${id} is missing`);
      return rows[0].certificate;
    },
    async readPrivateKey(type, id) {
      const { rows } = await sql.query<{ key_ciphertext: Buffer }>(
        'SELECT key_ciphertext FROM gh_ca_generation WHERE type = $1 AND id = $2',
        [type, id],
      );
      if (!rows[0]) throw corrupt(`${where}: the ${type} CA private key ${id} is missing`);
      return box.open(rows[0].key_ciphertext, context(type, id));
    },
    async writeGeneration(type, id, certificatePem, keyPem) {
      await sql.query('INSERT INTO gh_ca_generation (id, type, certificate, key_ciphertext) VALUES ($1, $2, $3, $4)', [
        id,
        type,
        certificatePem,
        box.seal(keyPem, context(type, id)),
      ]);
    },
    async createState(type, state) {
      const { rowCount } = await sql.query(
        `INSERT INTO gh_ca (type, state, revision) VALUES ($1, $2, 1) ON CONFLICT (type) DO NOTHING`,
        [type, JSON.stringify(state)],
      );
      return (rowCount ?? 0) > 0;
    },
    async replaceState(type, state: CaState) {
      await sql.query('UPDATE gh_ca SET state = $2, revision = revision + 1 WHERE type = $1', [
        type,
        JSON.stringify(state),
      ]);
    },
    withLock: (type, fn) => sql.transaction(caLockKey(type), fn),
  };
}
