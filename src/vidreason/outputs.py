"""Check where a command will write before it does any work.

``output_folder`` and ``output_file`` raise ``UserError`` with one line naming the path
when it cannot be written: it is a file where a folder is wanted (or the other way
round), a folder on the way is a file, or the place is read-only. The test is real: a
file is created and removed in the nearest folder that exists.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from vidreason.errors import UserError


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def _cannot_write_in(folder: Path) -> str | None:
    """Why no file can be created in ``folder``, or None when one can."""
    try:
        fd, name = tempfile.mkstemp(prefix=".vidreason-probe-", dir=folder)
    except OSError as exc:
        return (exc.strerror or type(exc).__name__).lower()
    os.close(fd)
    os.unlink(name)
    return None


def _writable_place(path: Path, folder: Path) -> None:
    """Raise, naming ``path``, unless files can be made in ``folder`` (or where it would be)."""
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise UserError(f"{path}: cannot be created, {base} is a file, not a folder")
    reason = _cannot_write_in(base)
    if reason:
        where = "" if base == path.absolute() else f" in {base}"
        raise UserError(f"{path}: cannot write{where} ({reason})")


def output_folder(path: Path) -> Path:
    """``path`` if a folder can be created there, or written into when it exists."""
    path = Path(path)
    if os.path.lexists(path) and not path.is_dir():
        raise UserError(f"{path}: exists and is not a folder")
    _writable_place(path, path)
    return path


def output_file(path: Path) -> Path:
    """``path`` if a file can be written there (created, or replaced when it exists)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a file")
    _writable_place(path, path.parent)
    if path.exists():
        try:
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise UserError(f"{path}: cannot write ({(exc.strerror or '').lower()})") from None
    return path
