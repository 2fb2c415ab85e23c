// The load a rolling restart runs under: a fixed number of mysql2 clients, each on one
// connection for as long as it lasts, alternating a text query and a prepared statement as an
// application would. Every failed attempt is a client error; a client whose connection died
// connects again (bounded: it gives up with the load). For each operation the client records
// its pause: from the first attempt to the answer that finally came, reconnects included.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type Connection, createConnection } from 'mysql2/promise';
import type { Endpoint } from '../targets/target.js';

export const LOAD_TABLE = 'rolling_restart';
export const LOAD_ROWS = 1000;

export interface ClientError {
  /** ms since the load started. */
  readonly at: number;
  readonly client: number;
  readonly message: string;
}

export interface LoadOperation {
  /** When the operation's first attempt began, ms since the load started. */
  readonly at: number;
  /** Its pause: first attempt to answer, ms. */
  readonly pauseMs: number;
  readonly client: number;
  /** Attempts that failed before the answer. */
  readonly failedAttempts: number;
}

export interface RunningLoad {
  /** ms since the load started. */
  now(): number;
  /** Stops the clients after their current operation and returns what they saw. */
  stop(): Promise<{ operations: LoadOperation[]; errors: ClientError[] }>;
}

const RECONNECT_DELAY_MS = 20;

export function startLoad(endpoint: Endpoint, clients: number, maxSeconds: number): RunningLoad {
  const ssl = {
    ca: readFileSync(endpoint.tls.caFile, 'utf8'),
    cert: readFileSync(endpoint.tls.certFile, 'utf8'),
    key: readFileSync(endpoint.tls.keyFile, 'utf8'),
  };
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  // The load ends by itself after maxSeconds even if nobody calls stop().
  const deadline = maxSeconds * 1000;
  let stopping = false;
  const operations: LoadOperation[] = [];
  const errors: ClientError[] = [];

  const open = (): Promise<Connection> =>
    createConnection({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      database: endpoint.database,
      ssl,
      connectTimeout: 30_000,
    });

  async function runClient(client: number): Promise<void> {
    let conn: Connection | undefined;
    let n = client;
    while (!stopping && now() < deadline) {
      const at = now();
      let failedAttempts = 0;
      for (;;) {
        try {
          conn ??= await open();
          const id = (n % LOAD_ROWS) + 1;
          if (n % 2 === 0) await conn.query(`SELECT v FROM ${LOAD_TABLE} WHERE id = ${id}`);
          else await conn.execute(`SELECT v FROM ${LOAD_TABLE} WHERE id = ?`, [id]);
          break;
        } catch (err) {
          failedAttempts++;
          errors.push({ at: now(), client, message: (err as Error).message.slice(0, 200) });
          // The load's statements never fail on their own: whatever failed (the engine closed
          // the session, a connect failed), the connection is replaced, as a pool would.
          conn?.destroy();
          conn = undefined;
          if (stopping || now() >= deadline) return;
          await new Promise((r) => setTimeout(r, RECONNECT_DELAY_MS));
        }
      }
      operations.push({ at, pauseMs: now() - at, client, failedAttempts });
      n += clients;
    }
    await conn?.end().catch(() => conn?.destroy());
  }

  const running = Array.from({ length: clients }, (_, i) => runClient(i));
  return {
    now,
    async stop() {
      stopping = true;
      await Promise.all(running);
      return { operations, errors };
    },
  };
}

/** The `q` quantile (0..1) of `values`, nearest rank; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
