"""vidreason: measure whether generated videos obey physics, causality and common sense.

The public API is re-exported here lazily so ``import vidreason`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
