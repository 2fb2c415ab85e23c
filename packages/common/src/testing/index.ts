// Fixture builders for common's own types, for tests here and above; @gatehouse/testing
// re-exports them with the rest of the kit.
export { makeAuditEvent } from './audit-events.js';
