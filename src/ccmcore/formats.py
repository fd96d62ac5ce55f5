"""Field formats: turn an Arrow column into a string column, vectorised.

A format is built once with the document (``money()``, ``number()``, ``date()``,
``text()``) and applied to every batch. Binding asks :meth:`Format.accepts` whether a
column's type suits the format (and reports :attr:`Format.kind` when it does not);
layout calls :meth:`Format.apply` per batch. Numbers, money and dates are formatted by
the C kernels in :mod:`ccmcore._format` straight from the Arrow buffers: no Python
loop runs per value. Nulls stay null; the caller decides what a missing value shows.

Example::

    from ccmcore.formats import money, date
    money(currency="€ ").apply(pa.array([123456789, -5]))   # ["€ 1,234,567.89", "-€ 0.05"]
    money(group=".", decimal=",", currency=" €", currency_after=True)  # "1.234.567,89 €"
    date("%-d %B %Y").apply(pa.array([datetime.date(2024, 3, 5)]))   # ["5 March 2024"]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _format
from .errors import BindingError, DataError, TemplateError

__all__ = [
    "Format",
    "MoneyFormat",
    "NumberFormat",
    "DateFormat",
    "TextFormat",
    "DateNames",
    "ENGLISH",
    "DATE_NAMES",
    "money",
    "number",
    "date",
    "text",
]

_LITTLE = sys.byteorder == "little"
_MAX_DECIMALS = 18
_NUMERIC_KIND = "integer, decimal or floating-point"


def _as_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous Array from an Array or a ChunkedArray (fixed-width inputs: cheap)."""
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 1:
            return arr.chunk(0)
        if arr.num_chunks == 0:
            return pa.array([], type=arr.type)
        return arr.combine_chunks()
    if isinstance(arr, pa.Array):
        return arr
    raise TypeError(f"expected a pyarrow Array or ChunkedArray, got {type(arr).__name__}")


def _out_validity(arr: pa.Array) -> pa.Buffer | None:
    """The input's validity bitmap re-based to offset 0 (zero-copy when the offset allows)."""
    if arr.null_count == 0:
        return None
    bitmap = arr.buffers()[0]
    if arr.offset == 0:
        return bitmap
    if arr.offset % 8 == 0:
        return bitmap.slice(arr.offset // 8)
    return pc.is_valid(arr).buffers()[1]  # a copied bitmap, offset 0


def _build(arr: pa.Array, bufs: tuple[pa.Buffer, pa.Buffer]) -> pa.StringArray:
    offsets, data = bufs
    return pa.Array.from_buffers(
        pa.string(), len(arr), [_out_validity(arr), offsets, data], null_count=arr.null_count
    )


class Format:
    """Base class of field formats.

    Attributes:
        kind: what the format needs, in words, for binding errors
            (e.g. ``"integer, decimal or floating-point"``).
    """

    kind: str = "any type"

    def accepts(self, dtype: pa.DataType) -> bool:
        """Whether columns of ``dtype`` can be formatted (dictionary types: by value type)."""
        if pa.types.is_dictionary(dtype):
            return self.accepts(dtype.value_type)
        return pa.types.is_null(dtype) or self._accepts(dtype)

    def _accepts(self, dtype: pa.DataType) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, arr: pa.Array | pa.ChunkedArray) -> pa.StringArray:
        """Format ``arr`` into a ``pa.string()`` array of the same length; nulls stay null.

        A ChunkedArray is combined first; dictionary arrays are formatted on their
        dictionary and taken by index.

        Raises:
            BindingError: the array's type is not one :meth:`accepts` allows.
            DataError: a value cannot be formatted (``record`` is its index in ``arr``).
        """
        a = _as_array(arr)
        if not self.accepts(a.type):
            raise BindingError(f"{self!r} needs {self.kind}, got {a.type}")
        if pa.types.is_dictionary(a.type):
            return pc.take(self.apply(a.dictionary), a.indices)
        if len(a) == 0 or a.null_count == len(a):
            return pa.nulls(len(a), pa.string())
        return self._apply(a)

    def _apply(self, arr: pa.Array) -> pa.StringArray:  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------- numbers and money


def _check_text(name: str, value: str) -> bytes:
    if not isinstance(value, str):
        raise TemplateError(f"{name} must be a str, got {type(value).__name__}")
    return value.encode("utf-8")


def _check_decimals(decimals: int) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= _MAX_DECIMALS:
        raise TemplateError(f"decimals must be an int in 0..{_MAX_DECIMALS}, got {decimals!r}")
    return decimals


def _numeric_type(dtype: pa.DataType) -> bool:
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


class NumberFormat(Format):
    """Grouped decimal numbers; see :func:`number`. Also the engine of :class:`MoneyFormat`."""

    kind = _NUMERIC_KIND

    def __init__(self, decimals: int = 0, *, group: str = ",", decimal: str = ".",
                 scale: int | None = None, prefix: str = "", suffix: str = "",
                 negative: str = "-"):
        self.decimals = _check_decimals(decimals)
        self.group = group
        self.decimal = decimal
        self.scale = scale
        self.prefix = prefix
        self.suffix = suffix
        self.negative = negative
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int)
                                  or not -18 <= scale <= 38):
            raise TemplateError(f"scale must be None or an int in -18..38, got {scale!r}")
        pattern = {"-": "-{}", "()": "({})"}.get(negative, negative)
        if not isinstance(pattern, str) or pattern.count("{}") != 1:
            raise TemplateError(
                f"negative must be '-', '()' or a pattern with one '{{}}' such as '{{}}-', got {negative!r}")
        before, after = pattern.split("{}")
        self._kernel = _format.NumberKernel(
            self.decimals, _check_text("group", group), _check_text("decimal", decimal),
            _check_text("prefix", prefix), _check_text("suffix", suffix),
            _check_text("negative", before + prefix), _check_text("negative", suffix + after))

    def _accepts(self, dtype: pa.DataType) -> bool:
        return _numeric_type(dtype)

    def _int_scale(self) -> int:
        """Implied decimals of integer columns."""
        return 0 if self.scale is None else self.scale

    def _apply(self, arr: pa.Array) -> pa.StringArray:
        t = arr.type
        bufs = arr.buffers()
        if pa.types.is_integer(t):
            res = self._kernel.format_int(bufs[1], arr.offset, len(arr), t.bit_width // 8,
                                          pa.types.is_signed_integer(t), bufs[0], self._int_scale())
            return _build(arr, res)
        if pa.types.is_decimal(t):
            return self._apply_decimal(arr)
        return self._apply_float(arr)

    def _apply_decimal(self, arr: pa.Array) -> pa.StringArray:
        t = arr.type
        if not pa.types.is_decimal128(t):
            precision = min(t.precision, 38)
            try:
                arr = pc.cast(arr, pa.decimal128(precision, t.scale))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise DataError(f"{self!r}: {t} values do not fit decimal128: {e}") from None
            t = arr.type
        if not _LITTLE:  # pragma: no cover - big-endian hosts
            raise DataError(f"{self!r}: decimal columns need a little-endian host")
        scale = t.scale + (self.scale or 0)
        bufs = arr.buffers()
        res = self._kernel.format_decimal128(bufs[1], arr.offset, len(arr), bufs[0], scale)
        return _build(arr, res)

    def _apply_float(self, arr: pa.Array) -> pa.StringArray:
        if arr.type != pa.float64():
            arr = pc.cast(arr, pa.float64())
        if pc.any(pc.is_nan(arr)).as_py():  # NaN is "no value": make it null
            arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.float64()), arr)
            if arr.null_count == len(arr):
                return pa.nulls(len(arr), pa.string())
        bufs = arr.buffers()
        exponent = self.decimals - (self.scale or 0)
        try:
            res = self._kernel.format_float(bufs[1], arr.offset, len(arr), bufs[0], exponent)
        except ArithmeticError as e:
            i = int(e.args[0])
            raise DataError(f"{self!r}: value {arr[i].as_py()!r} cannot be formatted "
                            f"(infinite or too large)", record=i) from None
        return _build(arr, res)

    def _args(self, default_decimals: int) -> list[str]:
        args = [repr(self.decimals)] if self.decimals != default_decimals else []
        if self.scale is not None:
            args.append(f"scale={self.scale!r}")
        for name, default in (("group", ","), ("decimal", "."), ("prefix", ""), ("suffix", ""),
                              ("negative", "-")):
            if getattr(self, name) != default:
                args.append(f"{name}={getattr(self, name)!r}")
        return args

    def __repr__(self) -> str:
        return f"number({', '.join(self._args(0))})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class MoneyFormat(NumberFormat):
    """Monetary amounts; see :func:`money`."""

    def __init__(self, decimals: int = 2, *, scale: int | None = None, group: str = ",",
                 decimal: str = ".", currency: str = "", currency_after: bool = False,
                 negative: str = "-"):
        _check_text("currency", currency)
        self.currency = currency
        self.currency_after = bool(currency_after)
        super().__init__(decimals, group=group, decimal=decimal, scale=scale,
                         prefix="" if currency_after else currency,
                         suffix=currency if currency_after else "", negative=negative)

    def _int_scale(self) -> int:
        return self.decimals if self.scale is None else self.scale

    def __repr__(self) -> str:
        args = [a for a in self._args(2) if not a.startswith(("prefix=", "suffix="))]
        if self.currency:
            args.append(f"currency={self.currency!r}")
        if self.currency_after:
            args.append("currency_after=True")
        return f"money({', '.join(args)})"


def number(decimals: int = 0, *, group: str = ",", decimal: str = ".") -> NumberFormat:
    """Format integers, decimals and floats as grouped numbers: ``1234567`` → ``"1,234,567"``.

    Integers are whole numbers; ``decimals`` adds zero places (``number(2)``: ``"1,234.00"``).
    Decimal columns keep their own scale and are rounded half to even to ``decimals``.
    Floats are rounded half to even at ``x * 10**decimals`` (so ``2.675`` — stored as
    2.67499999… — gives ``"2.67"``); NaN becomes null.

    Args:
        decimals: places after the decimal separator, 0..18.
        group: thousands separator; ``""`` disables grouping.
        decimal: decimal separator.

    Raises:
        TemplateError: invalid arguments.
    """
    return NumberFormat(decimals, group=group, decimal=decimal)


def money(decimals: int = 2, *, scale: int | None = None, group: str = ",", decimal: str = ".",
          currency: str = "", currency_after: bool = False, negative: str = "-") -> MoneyFormat:
    """Format monetary amounts: int64 cents ``123456789`` → ``"1,234,567.89"``.

    The stored value is divided by ``10**scale``, rounded half to even to ``decimals``
    places, grouped by thousands and decorated. A zero after rounding has no sign.

    Args:
        decimals: places after the decimal separator, 0..18.
        scale: the column stores amounts times ``10**scale`` (minor units), -18..38.
            Default: ``decimals`` for integer columns (cents when ``decimals=2``); 0 for
            decimal columns (which carry their own scale) and floats (major units).
        group: thousands separator, e.g. ``"."``, ``"'"``, ``"\\u202f"``; ``""`` disables it.
        decimal: decimal separator.
        currency: text put verbatim before the amount (or after it with
            ``currency_after=True``); include a space if one is wanted: ``" EUR"``.
        currency_after: put ``currency`` after the amount.
        negative: how negative amounts look: ``"-"`` (``-€1.00``), ``"()"`` (``(€1.00)``)
            or a pattern where ``{}`` stands for the amount with its currency, such as
            ``"{}-"`` or ``"{} CR"``.

    Raises:
        TemplateError: invalid arguments.
    """
    return MoneyFormat(decimals, scale=scale, group=group, decimal=decimal, currency=currency,
                       currency_after=currency_after, negative=negative)


# ---------------------------------------------------------------- dates


@dataclass(frozen=True)
class DateNames:
    """Month, weekday and AM/PM names used by ``%b %B %a %A %p`` — the hook for locales.

    Attributes:
        months: 12 full month names, January first.
        months_abbr: 12 abbreviated month names.
        weekdays: 7 full weekday names, Monday first.
        weekdays_abbr: 7 abbreviated weekday names.
        am_pm: the two strings for ``%p``.
    """

    months: tuple[str, ...]
    months_abbr: tuple[str, ...]
    weekdays: tuple[str, ...]
    weekdays_abbr: tuple[str, ...]
    am_pm: tuple[str, str] = ("AM", "PM")

    def __post_init__(self):
        for name, count in (("months", 12), ("months_abbr", 12), ("weekdays", 7),
                            ("weekdays_abbr", 7), ("am_pm", 2)):
            value = tuple(getattr(self, name))
            if len(value) != count or not all(isinstance(v, str) for v in value):
                raise TemplateError(f"DateNames.{name} needs {count} strings")
            object.__setattr__(self, name, value)

    def _table(self) -> list[str]:
        return [*self.months, *self.months_abbr, *self.weekdays, *self.weekdays_abbr, *self.am_pm]


ENGLISH = DateNames(
    months=("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"),
    months_abbr=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    weekdays_abbr=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
)

#: Names by locale key for ``date(..., names="en")``; add entries to support more languages.
DATE_NAMES: dict[str, DateNames] = {"en": ENGLISH}

# op codes and fields of the C kernel (see _format.pyx)
_OP_LIT, _OP_NUM, _OP_NAME = 0, 1, 2
_F_DAY, _F_MONTH, _F_YEAR, _F_YEAR2, _F_HOUR, _F_HOUR12, _F_MINUTE, _F_SECOND, _F_YDAY, _F_MICRO = range(10)
_NAME_BASE = {"B": 0, "b": 12, "h": 12, "A": 24, "a": 31, "p": 38}
_NAME_FIELD = {"B": 0, "b": 0, "h": 0, "A": 1, "a": 1, "p": 2}
# directive -> (field, default pad, max width)
_NUM_DIRECTIVES = {
    "d": (_F_DAY, 0, 2), "e": (_F_DAY, 2, 2), "m": (_F_MONTH, 0, 2), "Y": (_F_YEAR, 0, 21),
    "y": (_F_YEAR2, 0, 2), "H": (_F_HOUR, 0, 2), "I": (_F_HOUR12, 0, 2), "M": (_F_MINUTE, 0, 2),
    "S": (_F_SECOND, 0, 2), "j": (_F_YDAY, 0, 3), "f": (_F_MICRO, 0, 6),
}
_DIRECTIVES = "d e m Y y H I M S j f b h B a A p %"


def _compile(pattern: str, names: DateNames):
    """Pattern -> (ops int32 array, literal bytes, max bytes per value)."""
    if not isinstance(pattern, str):
        raise TemplateError(f"date pattern must be a str, got {type(pattern).__name__}")
    ops: list[int] = []
    lits = bytearray()
    max_len = 0
    table = [n.encode("utf-8") for n in names._table()]
    i = 0
    literal = []

    def flush():
        nonlocal max_len
        if literal:
            raw = "".join(literal).encode("utf-8")
            ops.extend((_OP_LIT, len(lits), len(raw)))
            lits.extend(raw)
            max_len += len(raw)
            literal.clear()

    while i < len(pattern):
        ch = pattern[i]
        if ch != "%":
            literal.append(ch)
            i += 1
            continue
        j = i + 1
        nopad = j < len(pattern) and pattern[j] == "-"
        if nopad:
            j += 1
        if j >= len(pattern):
            raise TemplateError(f"date pattern {pattern!r} ends with an incomplete directive")
        d = pattern[j]
        if d == "%" and not nopad:
            literal.append("%")
        elif d in _NUM_DIRECTIVES:
            flush()
            field, pad, width = _NUM_DIRECTIVES[d]
            ops.extend((_OP_NUM, field, 1 if nopad else pad))
            max_len += width
        elif d in _NAME_BASE and not nopad:
            flush()
            base = _NAME_BASE[d]
            ops.extend((_OP_NAME, base, _NAME_FIELD[d]))
            count = {0: 12, 1: 7, 2: 2}[_NAME_FIELD[d]]
            max_len += max(len(b) for b in table[base:base + count])
        else:
            raise TemplateError(f"date pattern {pattern!r}: unsupported directive "
                                f"'%{pattern[i + 1:j + 1]}' (supported: {_DIRECTIVES}, '-' flag on numbers)")
        i = j + 1
    flush()
    offsets = np.zeros(len(table) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(b) for b in table])
    return (np.asarray(ops, dtype=np.int32), bytes(lits), b"".join(table), offsets, max_len)


_TICKS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class DateFormat(Format):
    """Dates and timestamps with a strftime-like pattern; see :func:`date`."""

    kind = "date or timestamp"

    def __init__(self, pattern: str = "%d.%m.%Y", *, names: DateNames | str = "en"):
        if isinstance(names, str):
            if names not in DATE_NAMES:
                raise TemplateError(f"no date names for locale {names!r} (known: {sorted(DATE_NAMES)})")
            names = DATE_NAMES[names]
        if not isinstance(names, DateNames):
            raise TemplateError(f"names must be a DateNames or a locale key, got {type(names).__name__}")
        self.pattern = pattern
        self.names = names
        ops, lits, table, offsets, max_len = _compile(pattern, names)
        self._kernel = _format.DateKernel(ops, lits, table, offsets, max_len)

    def _accepts(self, dtype: pa.DataType) -> bool:
        return pa.types.is_date(dtype) or pa.types.is_timestamp(dtype)

    def _apply(self, arr: pa.Array) -> pa.StringArray:
        t = arr.type
        if pa.types.is_timestamp(t) and t.tz is not None:
            arr = pc.local_timestamp(arr)  # wall-clock time in the column's own zone
            t = arr.type
        if pa.types.is_date32(t):
            days32, ticks = True, 1
        elif pa.types.is_date64(t):
            days32, ticks = False, 1000
        else:
            days32, ticks = False, _TICKS[t.unit]
        bufs = arr.buffers()
        return _build(arr, self._kernel.format(bufs[1], arr.offset, len(arr), days32, ticks, bufs[0]))

    def __repr__(self) -> str:
        args = [] if self.pattern == "%d.%m.%Y" else [repr(self.pattern)]
        if self.names is not ENGLISH:
            key = next((k for k, v in DATE_NAMES.items() if v is self.names), None)
            args.append(f"names={key!r}" if key else "names=DateNames(...)")
        return f"date({', '.join(args)})"

    def __eq__(self, other: object) -> bool:
        return type(other) is DateFormat and (other.pattern, other.names) == (self.pattern, self.names)

    def __hash__(self) -> int:
        return hash((self.pattern, self.names))


def date(pattern: str = "%d.%m.%Y", *, names: DateNames | str = "en") -> DateFormat:
    """Format date32, date64 and timestamp columns with a strftime-like pattern.

    Directives: ``%d`` day, ``%e`` space-padded day, ``%m`` month, ``%Y`` year (4+ digits),
    ``%y`` 2-digit year, ``%b``/``%h`` abbreviated and ``%B`` full month name, ``%a``/``%A``
    weekday names, ``%H`` ``%I`` ``%M`` ``%S`` time, ``%p`` AM/PM, ``%j`` day of year,
    ``%f`` microseconds, ``%%``. ``%-d`` (any numeric directive with ``-``) drops the
    padding: ``"%-d %B %Y"`` → ``"5 March 2024"``. Time-zone-aware timestamps are shown in
    their zone's wall-clock time; naive timestamps as stored.

    Args:
        pattern: the pattern (default ``"%d.%m.%Y"``).
        names: month/weekday names: a :class:`DateNames` or a key of :data:`DATE_NAMES`
            (only ``"en"`` ships for now).

    Raises:
        TemplateError: unsupported directive or unknown names.
    """
    return DateFormat(pattern, names=names)


# ---------------------------------------------------------------- text


class TextFormat(Format):
    """Strings as they are; other types cast to their plain text; see :func:`text`."""

    kind = "a type castable to string"

    def _accepts(self, dtype: pa.DataType) -> bool:
        return (pa.types.is_string(dtype) or pa.types.is_large_string(dtype)
                or pa.types.is_string_view(dtype) or pa.types.is_binary(dtype)
                or pa.types.is_large_binary(dtype) or pa.types.is_binary_view(dtype)
                or pa.types.is_fixed_size_binary(dtype)
                or pa.types.is_boolean(dtype) or _numeric_type(dtype)
                or (pa.types.is_temporal(dtype) and not pa.types.is_interval(dtype)))

    def _apply(self, arr: pa.Array) -> pa.StringArray:
        if arr.type == pa.string():
            return arr
        try:
            return pc.cast(arr, pa.string())
        except pa.ArrowInvalid as e:  # e.g. binary that is not UTF-8
            raise DataError(f"text(): {arr.type} values cannot be read as text: {e}") from None

    def __repr__(self) -> str:
        return "text()"

    def __eq__(self, other: object) -> bool:
        return type(other) is TextFormat

    def __hash__(self) -> int:
        return hash("text()")


def text() -> TextFormat:
    """Strings unchanged; numbers, booleans, dates and binary (UTF-8) cast to text.

    Raises:
        DataError (from ``apply``): binary values that are not valid UTF-8.
    """
    return TextFormat()
