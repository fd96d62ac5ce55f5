"""Arrow arrays and scalars to and from numpy and Python values, without pyarrow's pandas probe.

pyarrow's own converters (``pa.array``, ``pa.scalar``, a compute function given a Python
value such as ``pc.fill_null(arr, False)``, and ``Array.to_numpy``) go through its pandas
integration, which imports pandas when it is installed: 0.2 to 0.3 s and some 40 MB the
first time in a process, paid by every job (and every worker of a job) although no pandas
object is involved. The functions here make the same arrays, scalars and numpy arrays from
buffers, and hand any value they do not cover to pyarrow, so the result is always what
pyarrow would have made.

    mask = from_numpy(np.array([True, False]))      # == pa.array(np.array([True, False]))
    pc.fill_null(arr, FALSE)                          # not pc.fill_null(arr, False)
    pc.binary_join_element_wise(a, b, EMPTY_STRING)   # not ..., "")
    rows = np.flatnonzero(to_numpy(mask))             # == mask.to_numpy(zero_copy_only=False)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "map_first",
    "from_numpy",
    "to_numpy",
    "strings",
    "optional_strings",
    "string_lists",
    "scalar",
    "FALSE",
    "EMPTY_STRING",
]

# each Arrow integer type's numpy dtype, and the range it holds
_INTS: dict[pa.DataType, tuple[np.dtype, int, int]] = {
    pa.from_numpy_dtype(dt): (np.dtype(dt), int(np.iinfo(dt).min), int(np.iinfo(dt).max))
    for dt in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
}

# the numpy dtype of each Arrow type whose values buffer numpy reads as it is
_PLAIN: dict[pa.DataType, np.dtype] = {t: dt for t, (dt, _, _) in _INTS.items()} | {
    pa.float32(): np.dtype(np.float32),
    pa.float64(): np.dtype(np.float64),
}


def from_numpy(values: np.ndarray) -> pa.Array:
    """``pa.array(values)`` for a one-dimensional numpy array of booleans, integers or
    floats (NaN stays NaN, as with ``pa.array``); other arrays go to ``pa.array``."""
    a = np.asarray(values)
    if a.ndim != 1 or a.dtype.byteorder not in "=|" or (a.dtype.kind not in "biuf"):
        return pa.array(a)
    if a.dtype.kind == "b":
        bits = np.packbits(a, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(a), [None, pa.py_buffer(bits)])
    a = np.ascontiguousarray(a)
    return pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), len(a), [None, pa.py_buffer(a)])


def to_numpy(arr: pa.Array | pa.ChunkedArray, zero_copy_only: bool = False) -> np.ndarray:
    """``arr.to_numpy(zero_copy_only=...)`` for booleans, integers and floats without nulls:
    a read-only view of the values (a writable copy for booleans and for more than one
    chunk), as pyarrow gives; anything else (nulls, other types) goes to pyarrow."""
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 1:
            return to_numpy(arr.chunk(0))
        if arr.num_chunks > 1 and not arr.null_count and (arr.type in _PLAIN or arr.type == pa.bool_()):
            return np.concatenate([to_numpy(c) for c in arr.chunks])
        return arr.to_numpy(zero_copy_only=zero_copy_only)
    if arr.null_count == 0:
        dtype = _PLAIN.get(arr.type)
        n = len(arr)
        if dtype is not None:
            if n == 0:
                out = np.empty(0, dtype)
            else:
                out = np.frombuffer(arr.buffers()[1], dtype=dtype, count=n, offset=arr.offset * dtype.itemsize)
            out.flags.writeable = False
            return out
        if arr.type == pa.bool_() and not zero_copy_only:
            if n == 0:
                return np.zeros(0, dtype=np.bool_)
            bits = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
            return np.unpackbits(bits, count=arr.offset + n, bitorder="little")[arr.offset :].view(np.bool_)
    return arr.to_numpy(zero_copy_only=zero_copy_only)


def strings(texts: Sequence[str]) -> pa.StringArray:
    """``pa.array(texts, pa.string())`` for a list of ``str`` (no ``None``); a text that is
    not Unicode raises UnicodeEncodeError as pyarrow does. Meant for short lists (a
    template's own texts); anything else goes to ``pa.array``."""
    if not all(type(t) is str for t in texts):
        return pa.array(texts, pa.string())
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    if lengths.sum() >= 2**31:
        return pa.array(texts, pa.string())
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])


def optional_strings(texts: Sequence[str | None]) -> pa.StringArray:
    """``pa.array(texts, pa.string())`` for a list of ``str`` and ``None`` (null)."""
    valid = np.fromiter((t is not None for t in texts), dtype=np.bool_, count=len(texts))
    if not valid.any():
        return pa.nulls(len(texts), pa.string())
    arr = strings([t if t is not None else "" for t in texts])
    if valid.all():
        return arr
    bits = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), len(texts), [bits, *arr.buffers()[1:]], null_count=int((~valid).sum()))


def string_lists(lists: Sequence[Sequence[str]]) -> pa.ListArray:
    """``pa.array(lists, pa.list_(pa.string()))`` for lists of ``str`` (no nulls)."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int32, count=len(lists))
    offsets = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    flat = [t for x in lists for t in x]
    return pa.ListArray.from_arrays(from_numpy(offsets), strings(flat))


def scalar(value, type: pa.DataType | None = None) -> pa.Scalar:
    """``pa.scalar(value, type)`` for ``None``, ``bool``, ``int``, ``float`` and ``str``
    (with no type, or the type pyarrow would give them, or, for ``None``, any type; an
    integer also with an integer type that holds it); any other value or type goes to
    ``pa.scalar``."""
    if value is None:
        return pa.nulls(1, pa.null() if type is None else type)[0]
    cls = value.__class__  # exactly these classes: a subclass (an IntEnum, numpy's) goes to pyarrow
    if cls is bool:
        if type is None or type == pa.bool_():
            return from_numpy(np.array([value], dtype=np.bool_))[0]
    elif cls is int:
        found = _INTS.get(pa.int64() if type is None else type)
        if found is not None and found[1] <= value <= found[2]:
            return from_numpy(np.array([value], dtype=found[0]))[0]
    elif cls is float:
        if type is None or type == pa.float64():
            return from_numpy(np.array([value], dtype=np.float64))[0]
    elif cls is str:
        if type is None or type == pa.string():
            return strings([value])[0]
    return pa.scalar(value) if type is None else pa.scalar(value, type)


#: ``pa.scalar(False)``: the fill value of a boolean mask whose nulls count as false
FALSE = scalar(False)
#: ``pa.scalar("")``: the separator of ``pc.binary_join_element_wise`` that joins pieces as they are
EMPTY_STRING = scalar("")


def map_first(index: pa.MapArray, key: str) -> pa.Array:
    """``pc.map_lookup(index, key, "first")`` for a map of strings: per row the value of the
    first entry with that key, null where there is none (or the row is null), in one pass
    over the keys instead of one per row."""
    n = len(index)
    if n == 0:
        return pa.nulls(0, index.type.item_type)
    offsets = to_numpy(index.offsets).astype(np.int64)
    keys = index.keys.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    hit = np.flatnonzero(to_numpy(pc.fill_null(pc.equal(keys, scalar(key)), FALSE))) + offsets[0]
    row = np.searchsorted(offsets, hit, side="right") - 1
    first = np.ones(len(hit), bool)
    first[1:] = row[1:] != row[:-1]
    at = np.full(n, -1, np.int64)
    at[row[first]] = hit[first]
    valid = at >= 0
    if index.null_count:
        valid &= to_numpy(pc.is_valid(index)).astype(bool)
    taken = index.items.take(from_numpy(np.where(valid, at, 0)))
    return pc.if_else(from_numpy(valid), taken, pa.nulls(n, taken.type))
