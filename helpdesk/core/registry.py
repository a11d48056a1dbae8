"""Extension points: a lower app declares a typed registry, upper apps register into it by key.

An app that lets others add behaviour (rules, page panels, event listeners) declares one `Registry[T]` in its
`extensions.py`, with `T` a Protocol or Callable type, so that mypy checks every registered piece against it.
Upper apps register from their AppConfig.ready() (their `hooks.py`); nobody appends to another module's list.
A second, different registration under a key raises, as `core.outbox.handler` and `realtime.streams.register`
do; registering the very same object again (a module imported twice) is a no-op. Iteration follows the order
of registration, which follows INSTALLED_APPS. Each app's docs page lists its extension points and who
registers into them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T]):
    """A named, ordered mapping of key -> registered piece that only grows through `register`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T) -> T:
        existing = self._items.get(key, item)
        if existing is not item and existing != item:
            raise ValueError(f"{self.name}: {key!r} is registered twice")
        self._items[key] = item
        return item

    def unregister(self, key: str) -> None:
        """Take a piece out again: for tests that register a temporary one."""
        del self._items[key]

    def __getitem__(self, key: str) -> T:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self._items)}>"
