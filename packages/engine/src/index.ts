// Public entry point of @gatehouse/engine.
export * from './audit/index.js';
export * from './tunnel/index.js';
export * from './join/index.js';
