// Public surface of the tunnel area; see docs/architecture.md.
export {};
