// The MySQL wire protocol, split by job so each part can be read on its own.
export * from './commands/index.js';
export * from './connection/index.js';
export * from './tracking/index.js';
export * from './wire/index.js';
