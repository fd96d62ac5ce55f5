"""Internal: what lets a job go on after it was stopped: where its parts live, and which
job a part was made for.

A part is reused by ``resume`` only when it was made for the same job: the same version
of ccmcore, the same template files (the Python files beside the file that defines the
document, by content), the same data files (path, size and modification time) and the same
options. Data that is not a file, or a document no file defines, cannot be recognised in a
later run: its parts are always made again.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from .parts import document_ref
from .resources import home_of

__all__ = ["work_dir_of", "fingerprint", "template_identity", "kept_message"]


def work_dir_of(out: Path, work_dir) -> Path:
    """Where the parts of the job writing ``out`` live: ``work_dir``, or ``.NAME.parts`` beside it."""
    if work_dir is not None:
        return Path(work_dir)
    name = f".{out.name}.parts"
    if len(name.encode()) > 255:  # a long output name that fits: its work directory must fit too
        name = f".{hashlib.sha256(out.name.encode()).hexdigest()[:24]}.parts"
    return out.with_name(name)


_HOMES_FOUND: dict[int, tuple] = {}


def template_identity(document) -> str:
    """The template's source: the Python files beside the file that defines the document
    (a template loaded by ``ccm``, or a module the caller imported it from). A document
    made elsewhere (in a notebook) has none: its parts are never reused."""
    home = home_of(document)
    if home is None:
        found = _HOMES_FOUND.get(id(document))
        if found is not None and found[0] is document:
            home = found[1]
        else:
            ref = document_ref(document)
            home = Path(ref[0]).parent if ref is not None else None
            if len(_HOMES_FOUND) > 64:
                _HOMES_FOUND.clear()
            _HOMES_FOUND[id(document)] = (document, home)  # held, so the id stays its own
    if home is None:
        return f"object {id(document)} {time.time_ns()}"
    out = ""
    for f in sorted(Path(home).glob("*.py")):
        out += f"{f.name}:{hashlib.sha256(f.read_bytes()).hexdigest()}|"
    return out


def fingerprint(document, data, details, format, afp, title, key, totals, part_size, duplex) -> str:
    """What a part must have been made for to be reused: the same program, template,
    data files and options (data that is not a file cannot be recognised: its parts are
    always made again)."""
    from . import __version__

    h = hashlib.sha256()

    def file_id(x) -> str:
        if isinstance(x, (str, os.PathLike)) and os.path.isfile(x):
            st = os.stat(x)
            return f"{os.path.abspath(x)}|{st.st_size}|{st.st_mtime_ns}"
        return f"object {id(x)} {time.time_ns()}" if x is not None else "none"

    template = template_identity(document)
    for part in (
        __version__,
        format,
        repr(afp),
        title,
        key,
        totals,
        part_size,
        duplex,
        template,
        file_id(data),
        file_id(details),
    ):
        h.update(repr(part).encode() + b"\0")
    return h.hexdigest()


def kept_message(parts: list, work_dir: Path) -> str:
    """What a failed job tells about the parts it kept."""
    n = len(parts)
    return f"{n} finished part{'s' if n != 1 else ''} kept in {work_dir}: run again with --resume to go on"
