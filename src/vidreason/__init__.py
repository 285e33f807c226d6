"""vidreason: measure whether generated videos obey physics, causality and common sense.

The public API (``generate``, ``run_model``, ``score_folder``, ``leaderboard``,
``report``, ``demo``, ``score_video``, ``reward``) is loaded on first use, so ``import vidreason``
stays fast and pulls in no engine.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "generate": "vidreason.api",
    "run_model": "vidreason.api",
    "score_folder": "vidreason.api",
    "leaderboard": "vidreason.api",
    "report": "vidreason.api",
    "demo": "vidreason.api",
    "score_video": "vidreason.scoring",
    "reward": "vidreason.rewards",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'vidreason' has no attribute {name!r}")
