"""Column values as the XML writes them, a whole batch at a time: exact decimals from
integer or decimal columns, dates in CII's format 102, escaped text.

Numbers are carried as scaled int64 (``1234`` at scale 2 is 12.34), so totals add up
exactly; a value that needs more decimals than its term allows, or more than 64 bits,
is flagged for its record to be rejected, never rounded.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Scaled", "scaled", "decimal_text", "date_text", "xml_text", "NOT_XML"]

#: characters XML 1.0 cannot hold, even escaped (a regex for Arrow's RE2)
NOT_XML = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{FFFE}\\x{FFFF}]"

_LIMIT = np.iinfo(np.int64).max


class Scaled:
    """Numbers as int64 at a fixed scale, with which rows are null or cannot be held.

    Attributes:
        values: int64 (n,): the numbers times 10**scale (0 where not valid).
        scale: decimals.
        null: bool (n,): the value is null.
        bad: bool (n,): the value needs more decimals than allowed, or more than 64 bits.
    """

    __slots__ = ("values", "scale", "null", "bad")

    def __init__(self, values: np.ndarray, scale: int, null: np.ndarray, bad: np.ndarray):
        self.values = values
        self.scale = scale
        self.null = null
        self.bad = bad


def _unscaled(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A decimal array's unscaled integers (int64) and the rows that do not fit 64 bits."""
    width = arr.type.byte_width // 8  # 64-bit words per value: 2 for decimal128, 4 for decimal256
    buf = arr.buffers()[1]
    words = np.frombuffer(buf, dtype="<i8", count=(arr.offset + len(arr)) * width)[arr.offset * width :]
    words = words.reshape(-1, width)
    low = words[:, 0]
    sign = np.where(low < 0, -1, 0)
    fits = np.all(words[:, 1:] == sign[:, None], axis=1)
    return np.where(fits, low, 0), ~fits


def scaled(arr: pa.Array, *, integer_scale: int, max_scale: int | None = None, scale: int | None = None) -> Scaled:
    """An integer or decimal column as exact scaled integers.

    Args:
        arr: an integer or decimal array.
        integer_scale: the scale of an integer column's values (2: cents, 0: whole numbers).
        max_scale: the most decimals the term allows (None: any the column has).
        scale: the scale of the result (None: the column's own, at most ``max_scale``).
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_decimal(arr.type):
        values, bad = _unscaled(arr)
        own = arr.type.scale
    else:
        values = np.asarray(arr.fill_null(0).cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        bad = np.zeros(n, dtype=bool)
        own = integer_scale
    values = np.where(null, 0, values)
    target = scale if scale is not None else (own if max_scale is None else min(own, max_scale))
    if own > target:
        step = 10 ** (own - target)
        bad |= values % step != 0  # a fraction the term has no room for
        values = values // step
    elif own < target:
        step = 10 ** (target - own)
        bad |= np.abs(values) > _LIMIT // step
        values = np.where(bad, 0, values) * step
    values = np.where(bad, 0, values)
    return Scaled(values, target, null, bad & ~null)


def decimal_text(values: np.ndarray, scale: int, *, trim: bool = False) -> pa.Array:
    """Scaled integers as decimal text: ``-1234`` at scale 2 is ``-12.34``.

    ``trim``: drop trailing zeros of the fraction (and its point), as a quantity or a rate
    reads (``19``, ``7.5``), where amounts keep their two decimals.
    """
    values = np.asarray(values, dtype=np.int64)
    if scale == 0:
        return pa.array(values).cast(pa.string())
    step = 10**scale
    magnitude = np.abs(values)
    whole = pa.array(magnitude // step).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(magnitude % step).cast(pa.string()), scale, "0")
    sign = pa.array(np.where(values < 0, "-", ""))
    if trim:
        frac = pc.utf8_rtrim(frac, characters="0")
        point = pc.if_else(pc.equal(frac, ""), "", ".")
        return pc.binary_join_element_wise(sign, whole, point, frac, "")
    return pc.binary_join_element_wise(sign, whole, ".", frac, "")


def date_text(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """A date (or timestamp) column as CII format 102 (``20250115``) and its null rows."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_timestamp(arr.type):
        arr = pc.cast(pc.floor_temporal(arr, unit="day"), pa.timestamp(arr.type.unit, arr.type.tz))
        arr = arr.cast(pa.timestamp("s", arr.type.tz)).cast(pa.int64())
        days = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64) // 86400
    elif pa.types.is_date64(arr.type):
        days = np.asarray(arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64) // 86400000
    else:
        days = np.asarray(arr.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    iso = np.datetime_as_string(days.astype("datetime64[D]"), unit="D")
    return pc.replace_substring(pa.array(iso), "-", ""), null


def xml_text(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Text escaped for XML content and attributes, and the rows XML cannot hold (a
    control character)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    bad = np.asarray(pc.fill_null(pc.match_substring_regex(arr, NOT_XML), False).to_numpy(zero_copy_only=False))
    for ch, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        arr = pc.replace_substring(arr, ch, entity)
    return arr, np.asarray(bad, dtype=bool)
