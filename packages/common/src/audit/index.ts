// Public surface of the audit area; see docs/architecture.md.
export {};
