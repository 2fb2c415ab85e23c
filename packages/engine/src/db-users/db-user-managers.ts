// One DbUserManager per database that has an admin_user, kept in step with the config (a
// reload that changes a database's admin_user gets a fresh manager; the old one finishes its
// queued work and closes).
import type { Audit, DatabaseConfig } from '@gatehouse/common';
import type { Logger } from 'pino';
import type { DbClientCertSigner } from '../cluster/engine-cluster.js';
import { DbUserManager } from './db-user-manager.js';

export interface DbUserManagersOptions {
  readonly engineId: string;
  readonly signer: DbClientCertSigner;
  readonly audit: Audit;
  readonly log: Logger;
}

export class DbUserManagers {
  readonly #options: DbUserManagersOptions;
  readonly #byName = new Map<string, { readonly key: string; readonly manager: DbUserManager }>();

  constructor(options: DbUserManagersOptions, databases: readonly DatabaseConfig[]) {
    this.#options = options;
    this.update(databases);
  }

  get(name: string): DbUserManager | undefined {
    return this.#byName.get(name)?.manager;
  }

  update(databases: readonly DatabaseConfig[]): void {
    const wanted = new Map(
      databases
        .filter((d) => d.admin_user !== undefined)
        .map((d) => [d.name, { db: d, key: JSON.stringify([d.uri, d.tls, d.admin_user, d.send_proxy_protocol]) }]),
    );
    for (const [name, entry] of this.#byName) {
      if (wanted.get(name)?.key === entry.key) continue;
      this.#byName.delete(name);
      void entry.manager.close();
    }
    for (const [name, { db, key }] of wanted) {
      if (this.#byName.has(name)) continue;
      const manager = new DbUserManager({ ...this.#options, database: db });
      manager.startSweep();
      this.#byName.set(name, { key, manager });
    }
  }

  async close(): Promise<void> {
    const all = [...this.#byName.values()];
    this.#byName.clear();
    await Promise.all(all.map((e) => e.manager.close()));
  }
}
