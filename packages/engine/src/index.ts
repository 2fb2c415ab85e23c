// Public entry point of @gatehouse/engine.
export {};
