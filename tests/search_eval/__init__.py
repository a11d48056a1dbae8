"""`make search-eval`: search quality per backend (see core.py and docs/search.md)."""
