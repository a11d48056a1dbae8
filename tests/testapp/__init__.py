"""A test-only Django app: a model and outbox handlers that let tests watch the worker's effects."""
