"""User-facing errors: each carries a one-line message that names the file or value."""

from __future__ import annotations


class UserError(ValueError):
    """A mistake in what the user asked for (a path, a name, an option)."""


class NoScene(UserError):
    """A family found no valid scene for an instance (its sampler gave up), usually in a
    format its scenes do not fit; the message names the family, instance and format."""


class Interrupted(Exception):
    """The user stopped the work (Ctrl-C) after ``done`` of ``total`` items."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"interrupted after {done} of {total}")
        self.done, self.total = done, total
