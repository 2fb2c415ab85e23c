// Public surface of the rbac area; see docs/architecture.md.
export {};
