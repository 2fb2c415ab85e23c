// Public entry point of @gatehouse/auth.
export * from './audit/index.js';
export * from './pki/index.js';
export * from './store/index.js';
export * from './postgres/index.js';
export { type AuditWriterOptions, type ClusterState, type ClusterStateOptions, openClusterState } from './cluster-state.js';
