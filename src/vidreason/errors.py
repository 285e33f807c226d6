"""User-facing errors: each carries a one-line message that names the file or value."""

from __future__ import annotations


class UserError(ValueError):
    """A mistake in what the user asked for (a path, a name, an option)."""
