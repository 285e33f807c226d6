"""The ``python`` adapter: a user's own model as ``package.module:factory``.

``vidreason run --model mypkg.video:make_model`` imports ``mypkg.video`` and calls
``make_model()`` (with the config file's ``[settings]`` as keyword arguments, when
given); what it returns is a ``Model`` (``name``, ``version``, ``generate``; optionally
``card``, ``load`` and ``close``). A folder named by the config's ``path`` is put on
``sys.path`` first. Third-party packages can also register models through the
``vidreason.models`` entry-point group.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vidreason.errors import UserError


def is_factory(name: str) -> bool:
    return ":" in name


def load_factory(
    spec: str, settings: Mapping[str, Any] | None = None, path: Path | None = None
) -> Any:
    """The model ``spec`` (``package.module:factory``) makes; one line naming ``spec``
    and what is wrong when it cannot be imported, called or is no model."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UserError(f"{spec!r}: a model factory is written package.module:function")
    if path is not None and str(path) not in sys.path:
        sys.path.insert(0, str(path))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserError(f"{spec}: cannot import {module_name} ({exc})") from None
    factory = module
    for part in attr.split("."):
        if not hasattr(factory, part):
            raise UserError(f"{spec}: {module_name} has no attribute {attr!r}")
        factory = getattr(factory, part)
    if not callable(factory):
        raise UserError(f"{spec}: {attr} is not callable")
    try:
        model = factory(**dict(settings or {}))
    except TypeError as exc:
        raise UserError(f"{spec}: calling {attr} failed ({exc})") from None
    missing = [a for a in ("name", "version", "generate") if not hasattr(model, a)]
    if missing:
        raise UserError(
            f"{spec}: {attr}() returned a {type(model).__name__}, not a model "
            f"(it lacks {', '.join(missing)})"
        )
    return model
