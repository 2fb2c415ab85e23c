// LISTEN on one channel with a dedicated connection, reconnecting when it drops. Notifications
// are hints: watchers also re-read on a timer, so a change made while the listener was
// reconnecting is still seen, only later.
import pg from 'pg';
import { clientConfig, type PostgresOptions } from './connect.js';

export interface ChangeFeed {
  subscribe(fn: () => void): () => void;
  close(): Promise<void>;
}

const RECONNECT_MS = 1_000;

type Stream = { ref?(): void; unref?(): void };
function streamOf(c: pg.Client): Stream | undefined {
  return (c as unknown as { connection?: { stream?: Stream } }).connection?.stream;
}

export function createChangeFeed(options: PostgresOptions, channel: string): ChangeFeed {
  const subscribers = new Set<() => void>();
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const notifyAll = (): void => {
    for (const fn of subscribers) fn();
  };

  const connect = (): void => {
    if (closed || client) return;
    const c = new pg.Client(clientConfig(options));
    client = c;
    const retry = (): void => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      if (closed || subscribers.size === 0) return;
      timer = setTimeout(connect, RECONNECT_MS);
      timer.unref();
    };
    c.on('error', retry);
    c.on('end', retry);
    c.on('notification', notifyAll);
    c.connect()
      .then(() => c.query(`LISTEN ${channel}`))
      // Anything missed while we were not listening: let watchers re-read now.
      .then(notifyAll)
      .catch(retry);
    // The listener must not keep a process alive on its own.
    streamOf(c)?.unref?.();
  };

  return {
    subscribe(fn) {
      subscribers.add(fn);
      connect();
      return () => {
        subscribers.delete(fn);
      };
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      // Closing is awaited: the socket must hold the event loop until the server has said goodbye.
      if (c) streamOf(c)?.ref?.();
      await c?.end().catch(() => undefined);
    },
  };
}
