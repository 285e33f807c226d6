"""One typed registry for task families and models.

A registry is a dict from an id to an entry, filled by a decorator or by ``add``. Unknown
ids fail with a "did you mean" hint. Third-party packages add entries through the entry
point group named by the registry (e.g. ``vidreason.tasks``): each entry point names a
module that registers its entries when imported.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError):
    """An id that is not registered; ``str()`` gives a one-line, user-facing message."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """A named dict of entries with plugin discovery and helpful lookup errors."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._group = entry_point_group
        self._plugins_loaded = entry_point_group is None

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def remove(self, name: str) -> T:
        """Take an entry out (e.g. one a test registered); unknown names fail as in ``get``."""
        self.get(name)
        return self._entries.pop(name)

    def register(self, name: str) -> Callable[[T], T]:
        def deco(entry: T) -> T:
            return self.add(name, entry)

        return deco

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in metadata.entry_points(group=self._group or ""):
            ep.load()

    def get(self, name: str) -> T:
        self._load_plugins()
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._entries), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self._entries))
            raise UnknownName(f"unknown {self.kind} {name!r}{hint} (known: {known})") from None

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
