// The engine's counters in Prometheus text format (version 0.0.4).
// https://prometheus.io/docs/instrumenting/exposition_formats/
import type { DatabaseInfo } from '@gatehouse/tunnel';
import type { SpoolMetrics } from '../audit/spool-pipeline.js';
import type { RelayCounters } from '../session/relay.js';
import type { UpstreamTlsCounters } from '../session/session.js';

export interface EngineMetrics {
  readonly counters: RelayCounters;
  readonly upstreamTls: UpstreamTlsCounters;
  sessionsOpen: number;
  sessionsStarted: number;
  /** Listeners that threw (a tunnel stream's or a session's); each ended its session only. */
  handlerErrors: number;
  /**
   * Sessions held by backpressure now: the client side has taken no credit back and the relay's
   * last write was refused, so the database socket waits for 'drain'. Read at scrape time.
   */
  streamsStalled: () => number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function spoolLines(spool: SpoolMetrics | undefined): string[] {
  if (spool === undefined) return [];
  return [
    '# HELP gatehouse_engine_audit_spool_events_total Audit events written to the spool.',
    '# TYPE gatehouse_engine_audit_spool_events_total counter',
    `gatehouse_engine_audit_spool_events_total ${spool.events}`,
    '# HELP gatehouse_engine_audit_spool_writes_total write(2) calls appending events to the spool.',
    '# TYPE gatehouse_engine_audit_spool_writes_total counter',
    `gatehouse_engine_audit_spool_writes_total ${spool.writes}`,
    '# HELP gatehouse_engine_audit_spool_fsyncs_total fdatasync calls on the spool (audit.spool_sync).',
    '# TYPE gatehouse_engine_audit_spool_fsyncs_total counter',
    `gatehouse_engine_audit_spool_fsyncs_total ${spool.fsyncs}`,
    '# HELP gatehouse_engine_audit_spool_pending_bytes Spooled bytes the audit store has not acknowledged.',
    '# TYPE gatehouse_engine_audit_spool_pending_bytes gauge',
    `gatehouse_engine_audit_spool_pending_bytes ${spool.pendingBytes}`,
    '# HELP gatehouse_engine_audit_spool_repaired_records_total Partial records cut from the spool at start.',
    '# TYPE gatehouse_engine_audit_spool_repaired_records_total counter',
    `gatehouse_engine_audit_spool_repaired_records_total ${spool.repairedRecords}`,
    '# HELP gatehouse_engine_audit_spool_skipped_lines_total Unparsable spool lines passed over.',
    '# TYPE gatehouse_engine_audit_spool_skipped_lines_total counter',
    `gatehouse_engine_audit_spool_skipped_lines_total ${spool.skippedLines}`,
  ];
}

export function renderMetrics(
  metrics: EngineMetrics,
  databases: readonly DatabaseInfo[],
  spool?: SpoolMetrics,
): string {
  const c = metrics.counters;
  const lines = [
    '# HELP gatehouse_engine_sessions_open Sessions in progress.',
    '# TYPE gatehouse_engine_sessions_open gauge',
    `gatehouse_engine_sessions_open ${metrics.sessionsOpen}`,
    '# HELP gatehouse_engine_sessions_total Sessions started.',
    '# TYPE gatehouse_engine_sessions_total counter',
    `gatehouse_engine_sessions_total ${metrics.sessionsStarted}`,
    '# HELP gatehouse_engine_client_bytes_total Bytes relayed from clients to databases.',
    '# TYPE gatehouse_engine_client_bytes_total counter',
    `gatehouse_engine_client_bytes_total ${c.bytesFromClient}`,
    '# HELP gatehouse_engine_server_bytes_total Bytes relayed from databases to clients.',
    '# TYPE gatehouse_engine_server_bytes_total counter',
    `gatehouse_engine_server_bytes_total ${c.bytesToClient}`,
    '# HELP gatehouse_engine_commands_total Client commands read.',
    '# TYPE gatehouse_engine_commands_total counter',
    `gatehouse_engine_commands_total ${c.commands}`,
    '# HELP gatehouse_engine_commands_denied_total Client commands the engine refused.',
    '# TYPE gatehouse_engine_commands_denied_total counter',
    `gatehouse_engine_commands_denied_total ${c.deniedCommands}`,
    '# HELP gatehouse_engine_upstream_tls_handshakes_total TLS handshakes with databases for sessions, by whether an earlier session was resumed.',
    '# TYPE gatehouse_engine_upstream_tls_handshakes_total counter',
    `gatehouse_engine_upstream_tls_handshakes_total{resumed="false"} ${metrics.upstreamTls.full}`,
    `gatehouse_engine_upstream_tls_handshakes_total{resumed="true"} ${metrics.upstreamTls.resumed}`,
    '# HELP gatehouse_engine_handler_errors_total Stream and socket handlers that threw; each ended its session only.',
    '# TYPE gatehouse_engine_handler_errors_total counter',
    `gatehouse_engine_handler_errors_total ${metrics.handlerErrors}`,
    '# HELP gatehouse_engine_streams_stalled Sessions whose client stopped reading: no tunnel credit left and the relay waiting for drain.',
    '# TYPE gatehouse_engine_streams_stalled gauge',
    `gatehouse_engine_streams_stalled ${metrics.streamsStalled()}`,
    '# HELP gatehouse_engine_database_up Whether the last health check reached the database.',
    '# TYPE gatehouse_engine_database_up gauge',
    ...databases.map(
      (db) => `gatehouse_engine_database_up{db="${escapeLabel(db.name)}"} ${db.health === 'healthy' ? 1 : 0}`,
    ),
    ...spoolLines(spool),
  ];
  return `${lines.join('\n')}\n`;
}
