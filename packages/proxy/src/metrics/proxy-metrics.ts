// Counters for /metrics, in the Prometheus text format. Live byte counts are read from the
// sockets at scrape time, so the relay adds nothing per chunk.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export interface LiveByteSource {
  readonly dbService: string | undefined;
  readonly phase: 'handshake' | 'relay';
  readonly bytesFromClient: () => number;
  readonly bytesToClient: () => number;
}

export class ProxyMetrics {
  connectionsAccepted = 0;
  readonly handshakeFailures = new Map<string, number>();
  readonly sessionsStarted = new Map<string, number>();
  /** Client TLS handshakes by "protocol resumed|full". */
  readonly tlsHandshakes = new Map<string, number>();
  bytesFromClientClosed = 0;
  bytesToClientClosed = 0;
  /** Listeners that threw, by where: each ended its own connection or stream only. */
  readonly handlerErrors = new Map<string, number>();

  recordFailure(reason: string): void {
    this.handshakeFailures.set(reason, (this.handshakeFailures.get(reason) ?? 0) + 1);
  }

  recordTlsHandshake(protocol: string, resumed: boolean): void {
    const key = `${protocol} ${resumed ? 'resumed' : 'full'}`;
    this.tlsHandshakes.set(key, (this.tlsHandshakes.get(key) ?? 0) + 1);
  }

  recordHandlerError(where: 'front_door' | 'tunnel'): void {
    this.handlerErrors.set(where, (this.handlerErrors.get(where) ?? 0) + 1);
  }

  recordSessionStart(dbService: string): void {
    this.sessionsStarted.set(dbService, (this.sessionsStarted.get(dbService) ?? 0) + 1);
  }

  recordClosed(fromClient: number, toClient: number): void {
    this.bytesFromClientClosed += fromClient;
    this.bytesToClientClosed += toClient;
  }

  /** The exposition text; `live` are the connections open now, `engines` the connected engines. */
  render(live: Iterable<LiveByteSource>, engines: number): string {
    let connections = 0;
    let fromClient = this.bytesFromClientClosed;
    let toClient = this.bytesToClientClosed;
    const sessions = new Map<string, number>();
    for (const c of live) {
      connections++;
      fromClient += c.bytesFromClient();
      toClient += c.bytesToClient();
      if (c.phase === 'relay' && c.dbService !== undefined) sessions.set(c.dbService, (sessions.get(c.dbService) ?? 0) + 1);
    }
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    const label = (key: string, value: string): string => `{${key}="${value.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"}`;
    metric('gatehouse_proxy_connections', 'gauge', 'MySQL client connections open now (handshaking or relaying).', [['', connections]]);
    metric('gatehouse_proxy_connections_accepted_total', 'counter', 'MySQL client connections accepted.', [['', this.connectionsAccepted]]);
    metric('gatehouse_proxy_sessions', 'gauge', 'Sessions relaying now, by database service.', [...sessions].map(([db, n]) => [label('db', db), n]));
    metric('gatehouse_proxy_sessions_started_total', 'counter', 'Sessions that logged in, by database service.', [...this.sessionsStarted].map(([db, n]) => [label('db', db), n]));
    metric('gatehouse_proxy_handshake_failures_total', 'counter', 'Client connections that failed before the relay, by reason.', [...this.handshakeFailures].map(([r, n]) => [label('reason', r), n]));
    metric(
      'gatehouse_proxy_tls_handshakes_total',
      'counter',
      'Client TLS handshakes on the MySQL port, by protocol and whether the session was resumed.',
      [...this.tlsHandshakes].map(([key, n]) => {
        const [protocol, kind] = key.split(' ');
        return [`{protocol="${protocol}",resumed="${kind === 'resumed'}"}`, n];
      }),
    );
    metric('gatehouse_proxy_bytes_total', 'counter', 'Bytes on client sockets, by direction.', [
      [label('direction', 'from_client'), fromClient],
      [label('direction', 'to_client'), toClient],
    ]);
    metric('gatehouse_proxy_handler_errors_total', 'counter', 'Socket and stream handlers that threw, by where; each ended its own connection only.', [...this.handlerErrors].map(([w, n]) => [label('where', w), n]));
    metric('gatehouse_proxy_engines', 'gauge', 'Engines connected over the tunnel.', [['', engines]]);
    return `${out.join('\n')}\n`;
  }
}
