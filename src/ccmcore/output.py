"""Internal, not part of the public API: the output file of a job, from its name to its rename.

- The format follows the file's extension (``.pdf``, ``.afp``) unless one is given; a given
  format that contradicts the extension is an error, since a file named ``x.afp`` holding a
  PDF is a mistake a print room finds too late.
- The output is checked before anything is composed (its directory exists and is writable,
  it is not a directory, a device or a pipe, not read-only, its name fits the file system),
  so a job does not compose for an hour to fail at the rename.
- It is written under a temporary name in the same directory, ``.NAME.HOST.PID.part``, and
  renamed when complete. A job killed without a chance to clean up (SIGKILL, a power cut)
  leaves its part behind; the next job writing the same output on the same host removes
  the parts whose process is gone.
- Every operating-system failure becomes an :class:`~ccmcore.errors.OutputError` of one
  line naming the file and the cause.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import stat
from pathlib import Path

from .errors import OutputError

__all__ = [
    "FORMATS",
    "output_format",
    "check_output",
    "check_not_an_input",
    "part_path",
    "publish",
    "remove_stale_parts",
    "output_error",
    "write_text_atomically",
    "write_parquet_atomically",
    "copy_rest",
]

FORMATS = ("pdf", "afp")
_BY_SUFFIX = {".pdf": "pdf", ".afp": "afp"}
_DEFAULT_NAME_MAX = 255
_ANY_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def output_format(output: str | os.PathLike, format: str | None, *, option: str = "format=") -> str:
    """The format of the file at ``output``: ``format`` when given, else its extension's.

    Args:
        output: the output path.
        format: "pdf", "afp" or None (from the extension).
        option: how the caller names the format setting in messages (``--format`` on the CLI).

    Raises:
        ValueError: an unknown format, no format and an extension that names none, or a
            format that contradicts the extension (``x.afp`` with "pdf").
    """
    name = Path(output).name
    by_suffix = _BY_SUFFIX.get(Path(name).suffix.lower())
    if format is None:
        if by_suffix is None:
            raise ValueError(
                f"cannot tell the output format from the name {name!r}: name it .pdf or .afp, "
                f"or give the format ({option}pdf or {option}afp)"
            )
        return by_suffix
    if format not in FORMATS:
        raise ValueError(f"unknown output format {format!r} (choose from {', '.join(FORMATS)})")
    if by_suffix is not None and by_suffix != format:
        raise ValueError(
            f"the output {name!r} is named as {by_suffix.upper()} but the format is {format}: "
            f"name it .{format} or drop the format setting"
        )
    return format


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # not POSIX, or the file system will not say
        return _DEFAULT_NAME_MAX


def check_output(output: str | os.PathLike, what: str = "") -> Path:
    """Check that a file can be written at ``output`` without writing anything; return it as a Path.

    ``what`` names the file in messages ("the report ").

    Raises:
        OutputError: the path names a directory, a device or a pipe, its directory is missing
            or not writable, an existing file there is read-only, or the name is too long for
            the file system.
    """
    text = os.fspath(output)
    out = Path(text)
    if text.endswith(os.sep) or (os.altsep and text.endswith(os.altsep)):
        raise OutputError(f"{what or 'the output '}{text} is a directory: give a file name")
    parent = out.parent
    try:
        if not parent.is_dir():
            if parent.exists():
                raise OutputError(f"cannot write {what}{out}: {parent} is not a directory")
            raise OutputError(f"cannot write {what}{out}: the directory {parent} does not exist")
        size, most = len(os.fsencode(out.name)), _name_max(parent)
        if size > most:
            raise OutputError(
                f"cannot write {what}{out}: its name is {size} bytes long, this file system allows {most}"
            )
        if out.is_dir():
            raise OutputError(f"{what or 'the output '}{out} is a directory: give a file name")
        if out.exists() and not out.is_file():
            # the file is written beside its target and renamed over it: a device or a pipe
            # (/dev/null, a FIFO) would be replaced, not written to
            raise OutputError(f"cannot write {what}{out}: it is not a regular file (a device or a pipe)")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError(
                f"cannot write {what}{out}: the directory {parent} is not writable (read-only, or no permission)"
            )
        if out.exists() and (not os.access(out, os.W_OK) or not out.stat().st_mode & _ANY_WRITE):
            # no write bit for anyone is a file someone protected, even from an administrator
            raise OutputError(f"cannot write {what}{out}: the file there is read-only (remove it or make it writable)")
    except OutputError:
        raise
    except OSError as exc:  # a path too long as a whole, a loop of links, ...
        raise output_error(out, exc, what) from exc
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_not_an_input(output: Path, inputs: dict[str, object]) -> str | None:
    """The name of the input (a description from ``inputs``) that ``output`` would overwrite, or None.

    ``inputs`` maps a description ("the data file") to a path, or to anything else (ignored).
    """
    for what, path in inputs.items():
        if isinstance(path, (str, os.PathLike)):
            p = Path(os.fspath(path))
            if _same_file(output, p) or output.absolute() == p.absolute():
                return what
    return None


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def _part_stem(output: Path) -> str:
    """The part name's stem for an output: its name, or a hash when the name leaves no room."""
    room = _name_max(output.parent) - len(os.fsencode(f"..{_host()}.{2**22}.part"))
    name = output.name
    if len(os.fsencode(name)) <= room:
        return name
    return hashlib.sha1(os.fsencode(name)).hexdigest()[:24]


def part_path(output: Path, pid: int | None = None) -> Path:
    """Where the job writing ``output`` keeps its unfinished file."""
    return output.with_name(f".{_part_stem(output)}.{_host()}.{os.getpid() if pid is None else pid}.part")


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no harmless probe: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def remove_stale_parts(output: Path) -> list[Path]:
    """Remove the parts of ``output`` left by dead jobs on this host; return what was removed.

    Parts of other hosts (a shared file system) and of live processes are left alone.
    """
    prefix, suffix, host = f".{_part_stem(output)}.", ".part", _host()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(output.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(suffix)):
            continue
        middle = name[len(prefix) : -len(suffix)]
        middle = middle[: -len(".old")] if middle.endswith(".old") else middle  # a replaced output (publish)
        their_host, _, pid = middle.rpartition(".")
        if their_host != host or not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def output_error(path: str | os.PathLike, exc: OSError, what: str = "") -> OutputError:
    """One line for an operating-system error while writing ``path``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason = "the disk is full (no space left on device)"
    elif exc.errno == errno.EDQUOT:
        reason = "the disk quota is exceeded"
    elif exc.errno == errno.ENAMETOOLONG:
        reason = "the path is too long for the file system"
    return OutputError(f"cannot write {what}{path}: {reason}")


def publish(part: Path, output: Path) -> None:
    """Rename a finished part to the output, in one step for whoever reads the output.

    A file the output replaces is first renamed aside and removed in the background:
    renaming over a large file makes some file systems write the new one out at once (and
    freeing the old one's blocks takes time too), which a job need not wait for.
    """
    old = None
    if output.is_file():
        old = output.with_name(f".{_part_stem(output)}.{_host()}.{os.getpid()}.old.part")
        try:
            os.replace(output, old)
        except OSError:
            old = None
    os.replace(part, output)
    if old is not None:
        import threading

        threading.Thread(target=remove_part, args=(old,), name="ccmcore-remove-old-output").start()


def remove_part(part: Path) -> None:
    """Remove a job's part file, if it is there (a failed job leaves nothing behind)."""
    try:
        os.unlink(part)
    except OSError:
        pass


def copy_rest(src, out, chunk: int = 1 << 20) -> None:
    """Copy what is left of the file ``src`` (from its position) to the end of ``out``.

    In the kernel where both are files (a print file's pages are copied behind its
    resources at close, in the job's serial tail: a third of the time of a copy through
    Python's buffers), through memory otherwise.
    """
    import shutil

    try:
        fin, fout = src.fileno(), out.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        shutil.copyfileobj(src, out, chunk)
        return
    out.flush()
    pos = src.tell()  # flushes what src has buffered
    end = os.fstat(fin).st_size
    try:
        while pos < end:
            n = os.copy_file_range(fin, fout, end - pos, pos)
            if n == 0:
                break
            pos += n
    except (AttributeError, OSError) as exc:  # no such call here, or not between these files
        if isinstance(exc, OSError) and exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        src.seek(pos)
        shutil.copyfileobj(src, out, chunk)
        return
    src.seek(pos)
    out.seek(0, os.SEEK_CUR)  # the buffered writer learns where the kernel left the file


def write_text_atomically(path: str | os.PathLike, text: str, what: str = "") -> None:
    """Write ``text`` to ``path`` through a part file and a rename: whole or not at all.

    Raises:
        OutputError: the file cannot be written (the message names it and the cause).
    """

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    _write_atomically(path, write, what)


def write_bytes_atomically(path: str | os.PathLike, data: bytes, what: str = "") -> None:
    """Write ``data`` to ``path`` through a part file and a rename: whole or not at all.

    Raises:
        OutputError: the file cannot be written (the message names it and the cause).
    """

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    _write_atomically(path, write, what)


def write_parquet_atomically(table, path: str | os.PathLike, what: str = "the manifest ") -> None:
    """Write an Arrow table as Parquet through a part file and a rename: whole or not at all.

    Raises:
        OutputError: the file cannot be written (the message names it and the cause).
    """
    import pyarrow.parquet as pq

    _write_atomically(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"), what)


def _write_atomically(path: str | os.PathLike, write, what: str) -> None:
    out = check_output(path, what)
    remove_stale_parts(out)
    tmp = part_path(out)
    try:
        write(tmp)
        os.replace(tmp, out)
    except BaseException as exc:
        remove_part(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise output_error(out, exc, what) from exc
        raise
