// Public entry point of @gatehouse/proxy.
export {};
