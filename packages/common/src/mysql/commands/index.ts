// Public surface of mysql/commands.
export {};
