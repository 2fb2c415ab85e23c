// Public surface of the identity area; see docs/architecture.md.
export {};
