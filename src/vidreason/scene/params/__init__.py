"""Typed per-family parameters: the keys a family's sampler writes into ``SceneSpec.params``
and ``SceneSpec.extra``, and that its prompt, simulation and verifier read back.

A family's parameters are a frozen dataclass subclassing ``Params``: one field per key,
with its type and a one-line docstring. A field is a number in ``spec.params`` unless it is
declared ``field(metadata=IN_EXTRA)`` (any JSON-able value in ``spec.extra``).

- ``P.of(spec)`` reads and checks them: a missing key or a value of the wrong type is one
  ``ParamsError`` naming the family and the key. A field with a default may be absent
  (an optional one defaults to None). ``P.maybe(spec)`` is None where a key is missing.
- ``p.to_params()`` and ``p.to_extra()`` are the dicts a sampler hands to ``SceneSpec``,
  keys in field order; a field that is None is left out. An ``int`` field is stored in
  ``spec.params`` as a float (``params`` holds floats) and read back as an int; a field
  typed as a dataclass (a record such as ``causal.WallRecord``) is stored as a dict.
- ``p.onto(spec)`` and ``P.update(spec, **changes)`` give a spec with parameters changed
  (an intervention, a second simulation run), every other key kept.

A class may read only some of a spec's keys: ``planning.Schedule`` reads the timing every
planning family writes, ``Floor`` the floor line, so shared code reads only what it needs.

To add a family's parameters: a subclass in the module of its capability (``physics.py``,
``physics3d.py``, ``commonsense.py``, ``causal.py``, ``temporal.py``, ``planning.py``),
its fields in the order the sampler writes them, each with a docstring.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from typing import Any, Self

from vidreason.types import SceneSpec

PARAMS, EXTRA = "params", "extra"


class ParamsError(ValueError):
    """A spec lacks one of its family's parameters, or holds one of the wrong type."""


IN_EXTRA = {"in": EXTRA}
"""Field metadata of a field stored in ``spec.extra``: ``x: T = field(metadata=IN_EXTRA)``."""


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of dataclass ``cls`` (worked out once per class)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _where(f: Any) -> str:
    return str(f.metadata.get("in", PARAMS))


def _checked(value: Any, tp: Any) -> tuple[bool, Any]:
    """(whether ``value`` fits type ``tp``, the value as the field holds it)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return type(None) in typing.get_args(tp), None
        for arg in typing.get_args(tp):
            if arg is not type(None):
                ok, v = _checked(value, arg)
                if ok:
                    return ok, v
        return False, value
    if tp is Any:
        return True, value
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool), value
    if tp is int:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return (True, int(value)) if ok and float(value).is_integer() else (False, value)
    if origin is typing.Literal:
        return value in typing.get_args(tp), value
    if isinstance(tp, type) and is_dataclass(tp):
        return _record(value, tp)
    if origin in (list, tuple):
        return isinstance(value, list | tuple), value
    if origin is dict:
        return isinstance(value, dict), value
    return isinstance(value, tp), value


def _record(value: Any, tp: type) -> tuple[bool, Any]:
    """A dict with a key for every field of dataclass ``tp``, as a ``tp``."""
    if not isinstance(value, dict):
        return False, value
    hints, out = _hints(tp), {}
    for f in fields(tp):
        if f.name not in value:
            if f.default is MISSING and f.default_factory is MISSING:
                return False, value
            continue
        ok, out[f.name] = _checked(value[f.name], hints[f.name])
        if not ok:
            return False, value
    return True, tp(**out)


def _stored(value: Any, where: str) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _stored(getattr(value, f.name), EXTRA) for f in fields(value)}
    if where == PARAMS and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@dataclass(frozen=True)
class Params:
    """Base of every family's parameters (see the module docstring)."""

    @classmethod
    def of(cls, spec: SceneSpec) -> Self:
        """The parameters as ``spec`` holds them; ``ParamsError`` names a missing or
        ill-typed key."""
        hints, values = _hints(cls), {}
        family = spec.family_id if spec.family else cls.__name__
        for f in fields(cls):
            where = _where(f)
            bag = getattr(spec, where)
            if f.name not in bag:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise ParamsError(f"{family}: spec.{where} has no {f.name!r}")
                continue
            ok, value = _checked(bag[f.name], hints[f.name])
            if not ok:
                raise ParamsError(
                    f"{family}: spec.{where}[{f.name!r}] is {bag[f.name]!r}, not {hints[f.name]}"
                )
            values[f.name] = value
        return cls(**values)

    @classmethod
    def maybe(cls, spec: SceneSpec) -> Self | None:
        """The parameters, or None when ``spec`` lacks one without a default (another
        family's spec)."""
        for f in fields(cls):
            required = f.default is MISSING and f.default_factory is MISSING
            if required and f.name not in getattr(spec, _where(f)):
                return None
        return cls.of(spec)

    @classmethod
    def update(cls, spec: SceneSpec, **changes: Any) -> SceneSpec:
        """``spec`` with some of these parameters changed (``P.update(spec, cause="post")``)."""
        return replace(cls.of(spec), **changes).onto(spec)

    def onto(self, spec: SceneSpec) -> SceneSpec:
        """``spec`` with these parameters written over its own (other keys kept, in place)."""
        return replace(
            spec,
            params={**spec.params, **self.to_params()},
            extra={**spec.extra, **self.to_extra()},
        )

    def to_params(self) -> dict[str, float]:
        """The fields that go in ``spec.params``, in order (None left out)."""
        return self._bag(PARAMS)

    def to_extra(self) -> dict[str, Any]:
        """The fields that go in ``spec.extra``, in order (None left out)."""
        return self._bag(EXTRA)

    def _bag(self, where: str) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if _where(f) == where and value is not None:
                out[f.name] = _stored(value, where)
        return out


@dataclass(frozen=True)
class Floor(Params):
    """The floor line every family with a floor writes (``tasks/palette.py:floor``)."""

    floor_y: float
    """Scene y (px) of the floor's top surface."""


@dataclass(frozen=True, kw_only=True)
class Palette(Params):
    """Colours of fixed scene parts (walls, a tray, a table) that the tracker classifies so
    it never takes them for a body (``perception/tracking.py``)."""

    palette: list[list[int]] | None = field(default=None, metadata=IN_EXTRA)
    """Their RGB colours."""


@dataclass(frozen=True, kw_only=True)
class Reach(Params):
    """Where something of the scene moves beyond the discs around its bodies' paths (a
    liquid spreading through its container), which the perception never takes for the
    static scene (``perception/scene.py``)."""

    reach: list[list[float]] | None = field(default=None, metadata=IN_EXTRA)
    """Rectangles ``[x0, y0, x1, y1]`` (px)."""
