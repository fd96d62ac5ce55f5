"""Internal, not part of the public API: where relative paths of a template's files are found.

A template file names its pictures and font files the way its author sees them: beside
the template (``Picture("logo.png")``, ``FontFamily.from_paths("fonts/Firago.ttf")``).
Resolving those against the working directory would make a job work from one directory
and fail from another. So while a template file is loaded, and while a document loaded
from one is composed, relative resource paths are taken relative to the template file's
directory; everywhere else (a Document built in a program) they keep Python's usual
meaning, relative to the working directory.

:func:`resolve` is called where a resource file is read (``Image``, ``Font.from_path``).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = ["relative_to", "resolve", "remember_home", "home_of"]

_BASE: ContextVar[Path | None] = ContextVar("ccmcore_resource_base", default=None)

# id(document) -> (weak reference to it, its template file's directory)
_HOMES: dict[int, tuple[weakref.ref, Path]] = {}


@contextmanager
def relative_to(directory: str | os.PathLike | None) -> Iterator[None]:
    """Within the block, relative resource paths are relative to ``directory`` (None: unchanged)."""
    if directory is None:
        yield
        return
    token = _BASE.set(Path(os.path.abspath(directory)))
    try:
        yield
    finally:
        _BASE.reset(token)


def resolve(path: str | os.PathLike) -> Path:
    """The path a resource file is read from: absolute paths unchanged, relative ones against
    the current base (the template file's directory), or the working directory without one."""
    p = Path(path)
    base = _BASE.get()
    if base is None or p.is_absolute():
        return p
    return base / p


def remember_home(obj: object, directory: str | os.PathLike) -> None:
    """Remember that ``obj`` (a Document) was loaded from a template file in ``directory``."""
    key = id(obj)
    _HOMES[key] = (weakref.ref(obj, lambda _ref: _HOMES.pop(key, None)), Path(os.path.abspath(directory)))


def home_of(obj: object) -> Path | None:
    """The directory of the template file ``obj`` was loaded from, or None."""
    entry = _HOMES.get(id(obj))
    if entry is not None and entry[0]() is obj:
        return entry[1]
    return None
