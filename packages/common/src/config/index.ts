// Public surface of the config area; see docs/architecture.md.
export {};
