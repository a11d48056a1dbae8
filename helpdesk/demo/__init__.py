"""The demo data (`manage.py seed_demo`, run by `make run`). A composition app at the top of the layers
(docs/architecture.md): it seeds every app, so it may import all of them, and none imports it."""
