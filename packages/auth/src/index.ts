// Public entry point of @gatehouse/auth.
export * from './store/index.js';
