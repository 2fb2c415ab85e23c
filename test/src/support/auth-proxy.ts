// An auth part and a proxy in this process, on a fresh data dir: what the join and CA-rotation
// tests talk to with real HTTPS and wss, without a database or an engine of their own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Authorities, computeCaPin, initAuthorities, openStore, type Store } from '@gatehouse/auth';
import { createLogger, GatehouseConfigSchema } from '@gatehouse/common';
import { type RunningProxy, startProxy } from '@gatehouse/proxy';

export interface AuthProxy {
  readonly dir: string;
  readonly authorities: Authorities;
  readonly store: Store;
  readonly proxy: RunningProxy;
  /** host:port of the proxy's HTTPS listener (join, renew, tunnel). */
  readonly proxyAddr: string;
  /** The pin of the host CA at start, as `gatectl tokens add` prints it. */
  readonly pin: string;
}

export async function startAuthProxy(
  t: { after(fn: () => unknown): void },
  proxyId: string,
  /** More proxy config, e.g. { tls: { resumption: false } }. */
  proxyConfig: Record<string, unknown> = {},
): Promise<AuthProxy> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-${proxyId}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { authorities } = await initAuthorities(dir);
  const store = await openStore({ dataDir: dir });
  t.after(() => store.close());
  const config = GatehouseConfigSchema.parse({
    proxy: {
      mysql_listen: '127.0.0.1:0',
      web_listen: '127.0.0.1:0',
      diag_listen: '127.0.0.1:0',
      public_addr: ['localhost', '127.0.0.1'],
      ...proxyConfig,
    },
  }).proxy;
  const log = createLogger({ level: process.env.GH_TEST_LOG ?? 'silent' });
  const proxy = await startProxy({ config, authorities, store, log, proxyId });
  t.after(() => proxy.close());
  const pin = computeCaPin(authorities.list('host')[0]!.certificate);
  return { dir, authorities, store, proxy, proxyAddr: `127.0.0.1:${proxy.webAddress.port}`, pin };
}
