// Public entry point of @gatehouse/auth.
export * from './audit/index.js';
