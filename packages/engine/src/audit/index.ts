// The engine side of audit: the spool and what moves events out of it.
export { type AuditSpool, type AuditSpoolOptions, openAuditSpool, type SpoolRead } from './spool.js';
export { type SpoolForwarder, type SpoolForwarderOptions, startSpoolForwarder } from './spool-forwarder.js';
export { createSpooledAuditSink } from './spooled-sink.js';
