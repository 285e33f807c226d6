"""One typed registry for task families and models.

A registry is a dict from an id to an entry, filled by ``add``. An id can be announced
before its entry exists (``add_lazy(name, module)``): the module, which adds the entry when
imported, is imported the first time the id is looked up, so listing ids imports nothing.
A source of such announcements (``add_source``: a function giving id -> module) is read
the first time any id is listed or looked up.
Unknown ids fail with a "did you mean" hint. Third-party packages add entries through the
entry point group named by the registry (e.g. ``vidreason.tasks``): each entry point names
a module that registers its entries when imported.
"""

from __future__ import annotations

import difflib
import importlib
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
        self._lazy: dict[str, str] = {}  # id -> module that adds it when imported
        self._sources: list[Callable[[], dict[str, str]]] = []  # more of them, unread
        self._group = entry_point_group
        self._plugins_loaded = entry_point_group is None

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def add_lazy(self, name: str, module: str) -> None:
        """Announce ``name``, added by ``module`` when it is imported on first lookup."""
        if name in self._entries or name in self._lazy:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._lazy[name] = module

    def add_source(self, source: Callable[[], dict[str, str]]) -> None:
        """Announce the ids ``source()`` gives (id -> module), read on first use; an id
        already added (its module imported first) is kept as it is."""
        self._sources.append(source)

    def remove(self, name: str) -> T:
        """Take an entry out (e.g. one a test registered); unknown names fail as in ``get``."""
        entry = self.get(name)
        self._entries.pop(name)
        self._lazy.pop(name, None)
        return entry

    def _resolve(self, name: str) -> None:
        """Import the module that adds ``name`` if it is announced and not yet added
        (``get`` has read the sources)."""
        module = self._lazy.get(name)
        if module is None or name in self._entries:
            return
        importlib.import_module(module)
        if name not in self._entries:
            raise LookupError(f"{module} was expected to register {self.kind} {name!r}")

    def _load_plugins(self) -> None:
        while self._sources:
            for name, module in self._sources.pop(0)().items():
                if name not in self._entries:
                    self._lazy.setdefault(name, module)
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in metadata.entry_points(group=self._group or ""):
            ep.load()

    def get(self, name: str) -> T:
        self._load_plugins()
        self._resolve(name)
        try:
            return self._entries[name]
        except KeyError:
            known_names = self.names()
            close = difflib.get_close_matches(name, known_names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(known_names)
            raise UnknownName(f"unknown {self.kind} {name!r}{hint} (known: {known})") from None

    def names(self) -> list[str]:
        """Every id, added or announced (announced ones are not imported)."""
        self._load_plugins()
        return sorted({*self._entries, *self._lazy})

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
