// Public surface of mysql/connection.
export {};
