"""Internal: where the part files of a distributed run live, a local folder or an fsspec URL.

A partition running on a cluster writes its part files to storage the caller names
(``/shared/run-7``, ``s3://bucket/run-7``, ``gs://...``, anything fsspec opens), and the
merge reads them back from there. A part file appears whole or not at all: it is written
under a temporary name and renamed (a local folder), or uploaded in one request (object
stores make an object visible only when its upload is complete). A partition an engine
runs again (a retried task) writes the same bytes under the same name, so a retry never
leaves two copies of a record.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from .errors import OutputError
from .parts import Part, load_part, save_part

__all__ = ["PartStore", "read_part"]


def _is_url(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


class PartStore:
    """The part files of one distributed run.

    Args:
        location: a local folder (made if missing) or an fsspec URL.
        storage_options: passed to fsspec for a URL (credentials, endpoint ...).
    """

    def __init__(self, location: str | os.PathLike, storage_options: dict | None = None):
        self.location = os.fspath(location)
        if self.location.startswith("file://"):
            self.location = self.location[len("file://") :]
        self._fs = None
        if _is_url(self.location):
            try:
                import fsspec
            except ImportError:
                raise OutputError(
                    f"part storage {self.location} is a URL: install fsspec (and the package for its "
                    "scheme, such as s3fs or gcsfs) to write there"
                ) from None
            self._fs, self._root = fsspec.core.url_to_fs(self.location, **(storage_options or {}))
            self._fs.makedirs(self._root, exist_ok=True)
        else:
            try:
                Path(self.location).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = exc.strerror or exc
                raise OutputError(f"cannot make the part storage folder {self.location}: {why}") from None

    def where(self, name: str) -> str:
        """The full location of a part file named ``name``."""
        return self.location.rstrip("/") + "/" + name

    def write(self, part: Part, name: str, job: dict) -> str:
        """Store a part under ``name`` (whole or not at all); returns its location."""
        return self.write_with(name, lambda path: save_part(part, path, "partition", job))

    def write_with(self, name: str, write) -> str:
        """Store the file ``write(local_path)`` makes under ``name`` (whole or not at all);
        returns its location."""
        target = self.where(name)
        if self._fs is None:
            tmp = Path(self.location) / f".{name}.{uuid.uuid4().hex}.tmp"
            try:
                write(tmp)
                os.replace(tmp, target)
            except BaseException as exc:
                tmp.unlink(missing_ok=True)
                if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                    raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
                raise
            return target
        with tempfile.TemporaryDirectory(prefix="ccm-part-") as d:
            local = Path(d) / name
            write(local)
            self._fs.put_file(str(local), self._root.rstrip("/") + "/" + name)
        return target


def read_part(location: str, format: str | None, storage_options: dict | None = None, keep_in=None) -> Part:
    """A part file back from where a partition stored it (``keep_in``: a folder for a copy
    of a remote one, read through a memory map, as a local one then is).

    Raises:
        PartFileError: the file is damaged or not a part of this format.
        OSError: it cannot be read.
    """
    if location.startswith("file://"):
        location = location[len("file://") :]
    if not _is_url(location):
        return load_part(location, format, mapped=keep_in is not None)[0]
    import fsspec

    fs, path = fsspec.core.url_to_fs(location, **(storage_options or {}))
    if keep_in is not None:
        local = Path(keep_in) / f"{uuid.uuid4().hex}.ccmpart"
        fs.get_file(path, str(local))
        return load_part(local, format, mapped=True)[0]
    with tempfile.TemporaryDirectory(prefix="ccm-part-") as d:
        local = Path(d) / "part.ccmpart"
        fs.get_file(path, str(local))
        return load_part(local, format)[0]
