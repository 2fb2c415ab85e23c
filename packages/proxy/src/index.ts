// Public entry point of @gatehouse/proxy.
export * from './tunnel/index.js';
