// Public surface of mysql/tracking.
export {};
