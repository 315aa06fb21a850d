"""Forms parse and validate input; they never save domain objects (the services do)."""
