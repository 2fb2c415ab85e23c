// Public entry point of @gatehouse/engine.
export * from './audit/index.js';
