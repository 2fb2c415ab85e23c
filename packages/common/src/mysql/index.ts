// Public surface of the mysql area; see docs/architecture.md.
export {};
