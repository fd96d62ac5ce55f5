"""Internal: the file one part of a job is kept in between composing and merging.

A part file holds named numpy arrays and byte strings and a small JSON header, followed
by an index and a CRC-32 of everything before it::

    b"CCMPART1"  section bytes ...  index (JSON)  index length (8 bytes)  CRC-32 (4)  b"CCMPART1"

Its last bytes are the checksum of all before it and the magic again, so a part file
that was not written to its end (a kill, a power cut, a full disk), or whose blocks never
reached the disk, does not read back as a part: it is made again. (A CRC-32 is enough
against damage, and costs the job's process next to nothing when it takes a part from a
worker.) Nothing in it is executable: arrays are raw little-endian buffers with their
dtype and shape in the index, never pickles.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from isal import isal_zlib

__all__ = ["write_part_file", "read_part_file", "PartFileError", "MAGIC"]

MAGIC = b"CCMPART1"
_TAIL = 8 + 4 + len(MAGIC)


class PartFileError(ValueError):
    """A part file is incomplete, damaged or not a part file (it is made again)."""


def write_part_file(path: str | os.PathLike, header: dict, arrays: dict, blobs: dict) -> str:
    """Write a part file (it reads back only when written to its end).

    Args:
        path: where the part goes.
        header: JSON-serialisable facts about the part.
        arrays: name -> numpy array (any shape; stored little-endian, C order).
        blobs: name -> bytes.

    Returns:
        the CRC-32 (hex) of the file's content, as its tail records it.

    Raises:
        OSError: the file cannot be written (what was written is removed).
    """
    path = Path(path)
    crc = 0
    sections = []
    pos = len(MAGIC)
    try:
        with open(path, "wb") as fh:

            def put(data) -> None:
                nonlocal crc
                fh.write(data)
                crc = isal_zlib.crc32(data, crc)

            put(MAGIC)
            for name, arr in arrays.items():
                a = np.ascontiguousarray(arr)
                if a.dtype.byteorder == ">":
                    a = a.astype(a.dtype.newbyteorder("<"))
                data = a.tobytes()
                sections.append(
                    {
                        "name": name,
                        "kind": "array",
                        "dtype": a.dtype.str,
                        "shape": list(a.shape),
                        "offset": pos,
                        "length": len(data),
                    }
                )
                put(data)
                pos += len(data)
            for name, blob in blobs.items():
                sections.append({"name": name, "kind": "bytes", "offset": pos, "length": len(blob)})
                put(blob)
                pos += len(blob)
            index = json.dumps({"header": header, "sections": sections}, separators=(",", ":")).encode()
            put(index)
            put(len(index).to_bytes(8, "little"))
            fh.write(crc.to_bytes(4, "little") + MAGIC)
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    return f"{crc:08x}"


def read_part_file(path: str | os.PathLike, mapped: bool = False) -> tuple[dict, dict, dict, str]:
    """Read and verify a part file (``mapped``: through a memory map, so a merge that
    holds every part of a job at once holds them in the page cache, not in its memory).

    Returns:
        (header, arrays, blobs, CRC-32 hex).

    Raises:
        PartFileError: the file is not a complete part file or its checksum does not match.
        OSError: it cannot be read.
    """
    data: bytes | memoryview
    if mapped:
        import mmap

        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)) if size else memoryview(b"")
    else:
        data = Path(path).read_bytes()
    if len(data) < len(MAGIC) + _TAIL or data[: len(MAGIC)] != MAGIC or data[-len(MAGIC) :] != MAGIC:
        raise PartFileError(f"{path}: not a complete part file")
    body_end = len(data) - 4 - len(MAGIC)
    crc = isal_zlib.crc32(memoryview(data)[:body_end])
    if crc != int.from_bytes(bytes(data[body_end : body_end + 4]), "little"):
        raise PartFileError(f"{path}: checksum mismatch (damaged)")
    n = int.from_bytes(bytes(data[body_end - 8 : body_end]), "little")
    try:
        index = json.loads(bytes(data[body_end - 8 - n : body_end - 8]))
    except ValueError as exc:
        raise PartFileError(f"{path}: unreadable index ({exc})") from None
    arrays, blobs = {}, {}
    view = memoryview(data)
    for sec in index["sections"]:
        chunk = view[sec["offset"] : sec["offset"] + sec["length"]]
        if sec["kind"] == "array":
            arrays[sec["name"]] = np.frombuffer(chunk, dtype=np.dtype(sec["dtype"])).reshape(sec["shape"])
        else:
            blobs[sec["name"]] = chunk
    return index["header"], arrays, blobs, f"{crc:08x}"
