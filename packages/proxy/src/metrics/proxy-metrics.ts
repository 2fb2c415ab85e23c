// The proxy's metrics on prom-client (docs/metrics.md), served on proxy.diag_listen. Live
// values (connections, sessions, bytes, engines, streams) are read from their owners at
// scrape time, so the relay adds nothing per chunk; the front door records one histogram
// sample per login.
import { certExpiryGauge, LATENCY_BUCKETS } from '@gatehouse/common/metrics';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface LiveByteSource {
  readonly dbService: string | undefined;
  readonly phase: 'handshake' | 'relay';
  readonly bytesFromClient: () => number;
  readonly bytesToClient: () => number;
}

export interface ProxyMetricsSources {
  /** MySQL client connections open now. */
  readonly connections: () => Iterable<LiveByteSource>;
  /** Engines connected over the tunnel. */
  readonly engines: () => number;
  /** Streams open over all tunnels. */
  readonly tunnelStreams: () => number;
  /** The proxy's TLS certificate PEM now in use. */
  readonly tlsCert: () => string;
  /** Whether peer credentials of unix-socket clients can be read. */
  readonly unixPeerCredentials: () => boolean;
}

/** Front-door failure reasons (describe-failure.ts) that are refusals, and the denial they count as. */
const DENIALS: Readonly<Record<string, string>> = {
  locked: 'lock',
  too_many_connections: 'limit',
  certificate: 'policy',
  no_db_user: 'policy',
  insecure_transport: 'policy',
  proxy_header: 'policy',
};

export class ProxyMetrics {
  readonly registry: Registry;
  connectionsAccepted = 0;
  readonly #failures: Counter<'reason'>;
  readonly #sessions: Counter<'db' | 'outcome'>;
  readonly #denials: Counter<'reason'>;
  readonly #connectSeconds: Histogram<'db'>;
  readonly #roundTrip: Histogram<'engine'>;
  readonly #tlsHandshakes: Counter<'protocol' | 'resumed'>;
  /** Bytes of closed connections by database service ('' before one was named). */
  readonly #closedBytes = new Map<string, { fromClient: number; toClient: number }>();
  #sources: ProxyMetricsSources | undefined;
  /** Listeners that threw, by where: each ended its own connection or stream only. */
  readonly handlerErrors = new Map<string, number>();

  constructor(registry: Registry) {
    this.registry = registry;
    const registers = [registry];
    const self = this;
    this.#failures = new Counter({
      name: 'gatehouse_proxy_handshake_failures_total',
      help: 'Client connections that failed before the relay, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#sessions = new Counter({
      name: 'gatehouse_proxy_sessions_total',
      help: 'Logins by outcome: started, refused (by the proxy or the engine), failed; by database service when known.',
      labelNames: ['db', 'outcome'],
      registers,
    });
    this.#denials = new Counter({
      name: 'gatehouse_proxy_denials_total',
      help: 'Logins the proxy itself refused, by reason: lock, limit, policy (engine refusals count on the engine).',
      labelNames: ['reason'],
      registers,
    });
    this.#connectSeconds = new Histogram({
      name: 'gatehouse_proxy_connect_seconds',
      help: "Time from accepting a client to its login OK (TLS, certificate, routing, the engine's login), by database service.",
      labelNames: ['db'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.#roundTrip = new Histogram({
      name: 'gatehouse_tunnel_round_trip_seconds',
      help: "Heartbeat PING to PONG over each engine's tunnel, by engine.",
      labelNames: ['engine'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.#tlsHandshakes = new Counter({
      name: 'gatehouse_proxy_tls_handshakes_total',
      help: 'Client TLS handshakes on the MySQL port, by protocol and whether the session was resumed.',
      labelNames: ['protocol', 'resumed'],
      registers,
    });
    const handlerErrors = this.handlerErrors;
    new Counter({
      name: 'gatehouse_proxy_handler_errors_total',
      help: 'Socket and stream handlers that threw, by where (front_door, tunnel); each ended its own connection only.',
      labelNames: ['where'],
      registers,
      collect() {
        this.reset();
        for (const [where, n] of handlerErrors) this.inc({ where }, n);
      },
    });
    new Counter({
      name: 'gatehouse_proxy_connections_accepted_total',
      help: 'MySQL client connections accepted.',
      registers,
      collect() {
        this.reset();
        this.inc(self.connectionsAccepted);
      },
    });
    new Gauge({
      name: 'gatehouse_proxy_connections',
      help: 'MySQL client connections open now (handshaking or relaying).',
      registers,
      collect() {
        let n = 0;
        for (const _ of self.#sources?.connections() ?? []) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: 'gatehouse_proxy_sessions',
      help: 'Sessions relaying now, by database service.',
      labelNames: ['db'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const c of self.#sources?.connections() ?? []) {
          if (c.phase === 'relay' && c.dbService !== undefined)
            counts.set(c.dbService, (counts.get(c.dbService) ?? 0) + 1);
        }
        for (const [db, n] of counts) this.set({ db }, n);
      },
    });
    new Counter({
      name: 'gatehouse_proxy_bytes_total',
      help: 'Bytes on client sockets, by database service and direction (from_client, to_client).',
      labelNames: ['db', 'direction'],
      registers,
      collect() {
        this.reset();
        const sums = new Map<string, { fromClient: number; toClient: number }>();
        for (const [db, b] of self.#closedBytes) sums.set(db, { ...b });
        for (const c of self.#sources?.connections() ?? []) {
          const db = c.dbService ?? '';
          const sum = sums.get(db) ?? { fromClient: 0, toClient: 0 };
          sum.fromClient += c.bytesFromClient();
          sum.toClient += c.bytesToClient();
          sums.set(db, sum);
        }
        for (const [db, b] of sums) {
          this.inc({ db, direction: 'from_client' }, b.fromClient);
          this.inc({ db, direction: 'to_client' }, b.toClient);
        }
      },
    });
    new Gauge({
      name: 'gatehouse_proxy_engines',
      help: 'Engines connected over the tunnel.',
      registers,
      // Session workers each see the same engines: across them, the most any one sees.
      aggregator: 'max',
      collect() {
        this.set(self.#sources?.engines() ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_proxy_tunnel_streams',
      help: 'Session streams open over all engine tunnels.',
      registers,
      collect() {
        this.set(self.#sources?.tunnelStreams() ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_proxy_unix_peer_credentials',
      help: 'Whether the peer credentials of clients on unix sockets can be read (1) or not (0: the native addon is missing).',
      registers,
      collect() {
        this.set(self.#sources?.unixPeerCredentials() === true ? 1 : 0);
      },
    });
    certExpiryGauge(registry, () => ({ proxy_tls: this.#sources?.tlsCert() }));
  }

  /** Where the scrape-time values come from (the listener, the tunnel), once they exist. */
  attach(sources: ProxyMetricsSources): void {
    this.#sources = sources;
  }

  recordFailure(reason: string): void {
    this.#failures.labels(reason).inc();
    const denial = DENIALS[reason];
    if (denial !== undefined) this.#denials.labels(denial).inc();
    const outcome = denial !== undefined || reason === 'engine_denied' ? 'refused' : 'failed';
    this.#sessions.labels('', outcome).inc();
  }

  recordTlsHandshake(protocol: string, resumed: boolean): void {
    // Once per TLS connection, not per packet: the label lookup is not on a hot path.
    this.#tlsHandshakes.labels(protocol, resumed ? 'true' : 'false').inc();
  }

  recordHandlerError(where: 'front_door' | 'tunnel'): void {
    this.handlerErrors.set(where, (this.handlerErrors.get(where) ?? 0) + 1);
  }

  recordSessionStart(dbService: string): void {
    this.#sessions.labels(dbService, 'started').inc();
  }

  /** A client got its login OK `seconds` after it was accepted. */
  recordConnected(dbService: string, seconds: number): void {
    this.#connectSeconds.labels(dbService).observe(seconds);
  }

  recordRoundTrip(engineId: string, seconds: number): void {
    this.#roundTrip.labels(engineId).observe(seconds);
  }

  recordClosed(dbService: string | undefined, fromClient: number, toClient: number): void {
    const db = dbService ?? '';
    const sum = this.#closedBytes.get(db);
    if (sum === undefined) this.#closedBytes.set(db, { fromClient, toClient });
    else {
      sum.fromClient += fromClient;
      sum.toClient += toClient;
    }
  }
}
