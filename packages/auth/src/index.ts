// Public entry point of @gatehouse/auth.
export {};
