// Public surface of mysql/wire.
export {};
