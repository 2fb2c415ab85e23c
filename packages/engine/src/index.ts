// Public entry point of @gatehouse/engine.
export * from './tunnel/index.js';
