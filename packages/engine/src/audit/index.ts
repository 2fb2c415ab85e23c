// The engine side of audit: the spool and what moves events out of it.
export {
  type AuditSpool,
  type AuditSpoolOptions,
  openAuditSpool,
  type SpoolRead,
  type SpoolStats,
  type SpoolSync,
} from './spool.js';
export { type SpoolForwarder, type SpoolForwarderOptions, startSpoolForwarder } from './spool-forwarder.js';
export {
  type SpoolMetrics,
  type SpoolPipeline,
  type SpoolPipelineOptions,
  startSpoolPipeline,
} from './spool-pipeline.js';
export { createSpooledAuditSink, type SpooledAuditSink, type SpooledAuditSinkOptions } from './spooled-sink.js';
