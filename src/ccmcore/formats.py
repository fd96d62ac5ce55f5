"""Field formats: turn an Arrow column into a string column, vectorised.

A format is built once with the document (``money()``, ``number()``, ``date()``,
``text()``) and applied to every batch. Binding asks :meth:`Format.accepts` whether a
column's type suits the format (and reports :attr:`Format.kind` when it does not);
layout calls :meth:`Format.apply` per batch. Numbers, money and dates are formatted by
the C kernels in :mod:`ccmcore._format` straight from the Arrow buffers: no Python
loop runs per value. Nulls stay null; the caller decides what a missing value shows.
Binding also asks :meth:`Format.problem` about an accepted type: ``money()`` on a
floating-point column without a stated ``unit`` is refused there, since cents and currency
units look alike in floats.

A value that cannot be shown (not UTF-8, infinite, beyond 38 digits, a fraction of a cent
where the column holds cents, ...) makes :meth:`Format.apply` raise
:class:`~ccmcore.errors.DataError` with every such row (``records``) and what each holds
(``reasons``); the job rejects those records and composes the rest.

Locales: ``money``, ``number`` and ``date`` take ``locale="de"`` (a fixed locale: CLDR
symbols, currency placement, month names and date patterns, from Babel via
:mod:`ccmcore.locales`) or ``locale_column="language"`` (each row in its own locale,
read from a string column of locale ids such as ``"en"``, ``"de"``, ``"fr_CH"``). Per-row
formatting is vectorised per batch: rows are grouped by locale, each group is formatted
by the C kernel with that locale's settings, and the results are put back in row order.
A row whose locale id is unknown (or null, with no fixed ``locale`` to fall back on)
cannot be formatted: :meth:`Format.apply` raises :class:`~ccmcore.errors.DataError`
naming the value, with the rows concerned (the job rejects those documents).

Examples (without a locale the output is fixed; with one it is CLDR's, as the installed
Babel ships it, so it is compared with Babel here rather than printed):

>>> import datetime
>>> import pyarrow as pa
>>> from ccmcore.formats import money, date
>>> money(currency="€ ").apply(pa.array([123456789, -5])).to_pylist()
['€ 1,234,567.89', '-€ 0.05']
>>> money(group=".", decimal=",", currency=" €", currency_after=True).apply(pa.array([123456789])).to_pylist()
['1.234.567,89 €']
>>> date("%-d %B %Y").apply(pa.array([datetime.date(2024, 3, 5)])).to_pylist()
['5 March 2024']
>>> from babel.numbers import format_currency
>>> de = money(currency="EUR", locale="de").apply(pa.array([123456789]))  # "1.234.567,89 €"
>>> de.to_pylist() == [format_currency(1234567.89, "EUR", locale="de")]
True
>>> per_row = money(currency="EUR", locale_column="language")  # each row in its language
>>> per_row.apply(pa.array([100, 100]), locale=pa.array(["en", "de"])).to_pylist() == [
...     format_currency(1, "EUR", locale="en"), format_currency(1, "EUR", locale="de")]
True
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _format
from . import locales as _locales
from .arrow_values import FALSE, from_numpy, scalar, to_numpy
from .errors import BindingError, DataError, TemplateError
from .rules import Rule, _Col

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
            return pa.nulls(0, arr.type)  # no values: the same as pa.array([], arr.type)
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
    return pa.Array.from_buffers(pa.string(), len(arr), [_out_validity(arr), offsets, data], null_count=arr.null_count)


def _locale_args(locale, locale_column) -> tuple[str | None, str | None]:
    """(canonical fixed locale or None, locale column or None) from the public arguments."""
    if isinstance(locale, Rule):
        if not isinstance(locale, _Col):
            raise TemplateError(f"locale takes a locale id or col('column'), not the expression {locale!r}")
        if locale_column is not None and locale_column != locale.name:
            raise TemplateError(f"locale={locale!r} and locale_column={locale_column!r} disagree")
        locale, locale_column = None, locale.name
    if locale is not None:
        locale = _locales.require(locale, "locale")
    if locale_column is not None and (not isinstance(locale_column, str) or not locale_column):
        raise TemplateError(f"locale_column must be a column name, got {locale_column!r}")
    return locale, locale_column


def _locale_codes(loc: pa.Array | pa.ChunkedArray, n: int) -> tuple[list, np.ndarray]:
    """(distinct locale ids, int32 code per row) of per-row locale ids; a null id gets code
    ``len(ids)``. A C scan when there are few distinct ids (the usual case), else hashing."""
    loc = _as_array(loc)
    if len(loc) != n:
        raise ValueError(f"locale has {len(loc)} values for {n} rows")
    t = loc.type
    if pa.types.is_null(t) or loc.null_count == n:
        return [], np.zeros(n, dtype=np.int32)
    if pa.types.is_dictionary(t):
        if not _string_like(t.value_type):
            raise BindingError(f"locale ids must be strings, got {t}")
        names = decoded(loc.dictionary)
        codes = to_numpy(pc.fill_null(pc.cast(loc.indices, pa.int32()), scalar(len(names), pa.int32()))).copy()
        return names, codes
    if not _string_like(t):
        raise BindingError(f"locale ids must be strings, got {t}")
    if t != pa.string():
        loc = pc.cast(loc, pa.string())
    codes = np.empty(n, dtype=np.int32)
    bufs = loc.buffers()
    keys = _format.small_codes(bufs[1], bufs[2], loc.offset, n, bufs[0] if loc.null_count else None, codes)
    if keys is None:  # many distinct ids: let Arrow hash them
        enc = pc.dictionary_encode(loc)
        names = decoded(enc.dictionary)
        return names, to_numpy(pc.fill_null(pc.cast(enc.indices, pa.int32()), scalar(len(names), pa.int32()))).copy()
    names = [k.decode("utf-8", "replace") for k in keys]
    codes[codes < 0] = len(names)
    return names, codes


def decoded(arr: pa.Array) -> list:
    """The values of a string array as str (None for nulls); bytes that are not UTF-8 become
    U+FFFD, so an id that is not text reads as an unknown one instead of failing the batch."""
    t = arr.type
    if pa.types.is_large_string(t):
        arr = arr.view(pa.large_binary())
    elif pa.types.is_string(t):
        arr = arr.view(pa.binary())
    return [None if v is None else v.decode("utf-8", "replace") for v in arr.to_pylist()]


def _string_like(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _rows_error(message: str, rows: np.ndarray, reasons: list[str] | None = None) -> DataError:
    """A DataError for several rows: ``record`` is the first, ``records`` all of them;
    ``reasons``, when given, says per row what is wrong (``message`` is the first's)."""
    err = DataError(message, record=int(rows[0]))
    err.records = np.asarray(rows, dtype=np.int64)
    if reasons is not None:
        err.reasons = list(reasons)
    return err


def _fault_error(f: Format, rows: list[int], reasons: list[str]) -> DataError:
    return _rows_error(f"{f!r}: {reasons[0]}", np.asarray(rows), [f"{f!r}: {r}" for r in reasons])


#: what ``_format.text_faults`` reports for bytes that are not UTF-8, and for a value too long
FAULT_NOT_UTF8, FAULT_TOO_LONG = -1, -2
#: its checks: UTF-8 only; and control characters but tab, line feed and CR LF; and all
TEXT_UTF8, TEXT_BODY, TEXT_INDEX = 0, 1, 2


def control_name(cp: int) -> str:
    """``U+0007`` with what it is, for messages about control characters."""
    if cp in (0x2028, 0x2029):
        what = "line separator" if cp == 0x2028 else "paragraph separator"
    elif cp == 0x0D:
        what = "carriage return without a line feed"
    elif cp in (0x09, 0x0A):
        what = "tab" if cp == 0x09 else "line feed"
    else:
        what = "control character"
    return f"{what} U+{cp:04X}"


def text_faults(arr: pa.Array, policy: int = TEXT_UTF8, limit: int = 0) -> list[tuple[int, int, int]]:
    """(row, code, where) of each value of a string or binary array (int32 offsets) that
    is not UTF-8, holds a control character ``policy`` refuses, or needs more than
    ``limit`` bytes as an AFP attribute value; see :func:`ccmcore._format.text_faults`."""
    if len(arr) == 0 or arr.null_count == len(arr):
        return []
    bufs = arr.buffers()
    return _format.text_faults(bufs[1], bufs[2], arr.offset, len(arr), bufs[0], policy, limit)


def utf8_reason(where: int) -> str:
    """The rejection reason of a value that is not UTF-8 (``where``: its first bad byte)."""
    return f"the value is not valid UTF-8 text (bad bytes at byte {where})"


class Format:
    """Base class of field formats.

    Attributes:
        kind: what the format needs, in words, for binding errors
            (e.g. ``"integer, decimal or floating-point"``).
        clean_output: True when every value the format writes is valid UTF-8 without
            control characters (number, money and date formats); binding scans the output
            of other formats (``text()``: the data's own strings).
        locale: the fixed locale (canonical id such as ``"de_CH"``), or None.
        locale_column: the column whose values give each row's locale, or None. When it is
            set, :meth:`apply` needs those values (``apply(arr, locale=...)``); binding
            checks the column exists and holds strings.
    """

    kind: str = "any type"
    #: every value the format writes is valid UTF-8 without control characters (its own
    #: text is checked when it is made), so binding need not scan its output per value
    clean_output: bool = False
    locale: str | None = None
    locale_column: str | None = None
    _localized = False  # formats whose output depends on a locale
    _kernels: dict  # canonical locale id (None: no locale) -> kernel, set by formats that have kernels

    def accepts(self, dtype: pa.DataType) -> bool:
        """Whether columns of ``dtype`` can be formatted (dictionary types: by value type)."""
        if pa.types.is_dictionary(dtype):
            return self.accepts(dtype.value_type)
        return pa.types.is_null(dtype) or self._accepts(dtype)

    def problem(self, dtype: pa.DataType) -> str | None:
        """Why columns of an accepted ``dtype`` still cannot be formatted as the format stands
        (e.g. ``money()`` on floats without a ``unit``), or None. Binding reports it."""
        if pa.types.is_dictionary(dtype):
            return self.problem(dtype.value_type)
        return None

    def _accepts(self, dtype: pa.DataType) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(
        self, arr: pa.Array | pa.ChunkedArray, locale: pa.Array | pa.ChunkedArray | None = None
    ) -> pa.StringArray:
        """Format ``arr`` into a ``pa.string()`` array of the same length; nulls stay null.

        A ChunkedArray is combined first; dictionary arrays are formatted on their
        dictionary and taken by index.

        Args:
            arr: the values.
            locale: per-row locale ids (strings, same length as ``arr``), needed by a format
                made with ``locale_column``; a null id uses the format's fixed ``locale``.
                Formats that do not depend on a locale (``text()``) ignore it.

        Raises:
            BindingError: the array's type is not one :meth:`accepts` allows, or one
                :meth:`problem` refuses (``money()`` on floats without a ``unit``), or
                ``locale`` is not a string array.
            DataError: values cannot be formatted, or a row's locale id is unknown, or null
                with no fixed locale (the message names the value; ``record`` is the first
                such row, ``records`` all of them and, when they differ, ``reasons`` what is
                wrong with each).
            TemplateError: the format has a ``locale_column`` and ``locale`` was not given.
        """
        a = _as_array(arr)
        if not self.accepts(a.type):
            raise BindingError(f"{self!r} needs {self.kind}, got {a.type}")
        problem = self.problem(a.type)
        if problem is not None:
            raise BindingError(problem)
        if self._localized:
            if locale is not None:
                return self._apply_by_locale(a, locale)
            if self.locale_column is not None:
                raise TemplateError(
                    f"{self!r} formats each row in the locale of column "
                    f"{self.locale_column!r}: pass its values, apply(arr, locale=...)"
                )
        if pa.types.is_dictionary(a.type):
            return self._apply_dictionary(a)
        if len(a) == 0 or a.null_count == len(a):
            return pa.nulls(len(a), pa.string())
        return self._apply(a)

    def _apply(self, arr: pa.Array) -> pa.StringArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_dictionary(self, a: pa.DictionaryArray) -> pa.StringArray:
        """Format the dictionary once, take by index; a bad entry names the rows using it
        (an entry no row uses is left out quietly)."""
        dictionary = a.dictionary
        indices = None
        for _ in range(len(dictionary) + 1):
            try:
                return pc.take(self.apply(dictionary), a.indices)
            except DataError as e:
                if not 0 <= e.record < len(dictionary):
                    raise
                entries = np.asarray(getattr(e, "records", [e.record]))
                if indices is None:
                    indices = to_numpy(pc.fill_null(a.indices, scalar(-1, a.indices.type)))
                rows = np.flatnonzero(np.isin(indices, entries))
                if len(rows):
                    why = dict(zip(entries.tolist(), getattr(e, "reasons", [str(e)] * len(entries))))
                    raise _rows_error(str(e), rows, [why[int(indices[r])] for r in rows]) from None
                unused = np.zeros(len(dictionary), dtype=bool)
                unused[entries] = True
                dictionary = pc.if_else(from_numpy(unused), pa.nulls(len(dictionary), dictionary.type), dictionary)
        raise AssertionError("unreachable: each retry nulls one more entry")

    # -------------------------------------------------------------- per-row locales

    def _kernel_for(self, locale: str | None):
        """The kernel for a canonical locale id (None: no locale), built once and kept."""
        kernel = self._kernels.get(locale)
        if kernel is None:
            kernel = self._kernels[locale] = self._make_kernel(locale)
        return kernel

    def _make_kernel(self, locale: str | None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_with(self, arr: pa.Array, kernel) -> pa.StringArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_by_locale(self, a: pa.Array, locale) -> pa.StringArray:
        """Group rows by locale, format each group with its kernel, merge back in row order."""
        n = len(a)
        names, codes = _locale_codes(locale, n)
        if pa.types.is_dictionary(a.type):
            a = a.dictionary_decode()
        if n == 0 or a.null_count == n:
            return pa.nulls(n, pa.string())
        null_code = len(names)
        valid = None if a.null_count == 0 else to_numpy(pc.is_valid(a))
        used = np.bincount(codes if valid is None else codes[valid], minlength=null_code + 1)
        group_of = np.full(null_code + 1, -1, dtype=np.int32)
        groups: dict[str, int] = {}
        kernels = []
        where = f" in column {self.locale_column!r}" if self.locale_column else ""

        def rows_of(code):
            hit = codes == code
            return np.flatnonzero(hit if valid is None else hit & valid)

        for code in np.flatnonzero(used):
            raw = names[code] if code < null_code else None
            name = _locales.canonical(raw) if raw is not None else self.locale
            if name is None:
                if raw is None:
                    raise _rows_error(
                        f"{self!r}: the locale{where} is null and the format has no fixed locale to fall back on",
                        rows_of(code),
                    )
                raise _rows_error(f"{self!r}: unknown locale {raw!r}{where}", rows_of(code))
            if name not in groups:
                try:
                    kernel = self._kernel_for(name)
                except TemplateError as e:  # e.g. the locale's date pattern has an unsupported field
                    raise _rows_error(f"{self!r}: locale {name!r}{where}: {e}", rows_of(code)) from None
                groups[name] = len(groups)
                kernels.append(kernel)
            group_of[code] = groups[name]
        if len(kernels) == 1:  # one locale in this batch: no grouping needed
            return self._sub_apply(a, kernels[0], None)
        null_group = len(kernels)
        group_of[group_of < 0] = null_group
        gid = group_of[codes]
        if valid is not None:
            gid[~valid] = null_group
        pieces = []
        for g, kernel in enumerate(kernels):
            rows = np.flatnonzero(gid == g)
            out = self._sub_apply(a.take(from_numpy(rows)), kernel, rows)
            if out.offset:  # pragma: no cover - the kernels build arrays at offset 0
                out = pa.concat_arrays([out])
            pieces.append(tuple(out.buffers()))
        # the C merge puts each group's texts back at their rows, in one pass
        validity, offsets, data, nulls = _format.interleave(gid, pieces)
        return pa.Array.from_buffers(pa.string(), n, [validity, offsets, data], null_count=nulls)

    def _sub_apply(self, arr: pa.Array, kernel, rows: np.ndarray | None) -> pa.StringArray:
        """Format one locale's rows; a DataError's record is mapped back to the batch row."""
        if arr.null_count == len(arr):
            return pa.nulls(len(arr), pa.string())
        try:
            return self._apply_with(arr, kernel)
        except DataError as e:
            if rows is None or not 0 <= e.record < len(rows):
                raise
            err = DataError(str(e), record=int(rows[e.record]), field=e.field)
            if hasattr(e, "records"):
                err.records = rows[np.asarray(e.records)]
            if hasattr(e, "reasons"):
                err.reasons = e.reasons
            raise err from None


# ---------------------------------------------------------------- numbers and money


def _refuse_controls(name: str, value: str) -> None:
    """A format's own text (separators, currency, names, pattern literals) holds no control
    character: what the C kernels write is then clean without scanning it per value."""
    for k, ch in enumerate(value):
        cp = ord(ch)
        if cp < 0x20 or 0x7F <= cp <= 0x9F or cp in (0x2028, 0x2029):
            raise TemplateError(f"{name} {value!r} holds a {control_name(cp)} at character {k + 1}")


def _check_text(name: str, value: str) -> bytes:
    if not isinstance(value, str):
        raise TemplateError(f"{name} must be a str, got {type(value).__name__}")
    _refuse_controls(name, value)
    return value.encode("utf-8")


_UNITS = {"minor": "minor", "major": "major"}
#: words people reach for, and the unit they mean
_UNIT_WORDS = {
    "cents": "minor",
    "cent": "minor",
    "pence": "minor",
    "minor_units": "minor",
    "units": "major",
    "currency": "major",
    "whole": "major",
    "major_units": "major",
}


def _check_unit(unit, scale) -> str | None:
    """The canonical unit of ``money(unit=...)``, or a TemplateError that says what to write."""
    if unit is None:
        return None
    if unit not in _UNITS:
        meant = _UNIT_WORDS.get(unit.lower()) if isinstance(unit, str) else None
        hint = f"; for {unit!r} write unit={meant!r}" if meant else ""
        raise TemplateError(
            f"money(unit=...) takes 'minor' (the column holds whole cents, pence: 1234 is 12.34) or "
            f"'major' (currency units: 12.34 is 12.34), not {unit!r}{hint}"
        )
    if scale is not None:
        raise TemplateError(f"money() takes unit={unit!r} or scale={scale!r}, not both (unit is scale's plain form)")
    return unit


def _check_decimals(decimals: int) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= _MAX_DECIMALS:
        raise TemplateError(f"decimals must be an int in 0..{_MAX_DECIMALS}, got {decimals!r}")
    return decimals


def _numeric_type(dtype: pa.DataType) -> bool:
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


def _beyond_int128(arr: pa.Array) -> np.ndarray:
    """Rows of a decimal256 array whose value does not fit 128 bits (more than 38 digits)."""
    n = len(arr)
    limbs = np.frombuffer(arr.buffers()[1], dtype="<u8")[4 * arr.offset : 4 * (arr.offset + n)].reshape(n, 4)
    extension = np.where(limbs[:, 1] >> np.uint64(63), np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))
    bad = (limbs[:, 2] != extension) | (limbs[:, 3] != extension)
    if arr.null_count:
        bad &= to_numpy(pc.is_valid(arr))
    return np.flatnonzero(bad)


def reads_values(f: object) -> bool:
    """Whether a format needs numbers or dates (not text) in its column."""
    return isinstance(f, (NumberFormat, DateFormat))


class NumberFormat(Format):
    """Grouped decimal numbers; see :func:`number`. Also the engine of :class:`MoneyFormat`.

    ``group`` and ``decimal`` None mean the locale's symbols (``","`` and ``"."`` without
    a locale); given explicitly they override the locale's.
    """

    kind = _NUMERIC_KIND
    clean_output = True
    _localized = True
    _default_decimals = 0

    def __init__(
        self,
        decimals: int | None = None,
        *,
        group: str | None = None,
        decimal: str | None = None,
        scale: int | None = None,
        prefix: str = "",
        suffix: str = "",
        negative: str = "-",
        locale: str | Rule | None = None,
        locale_column: str | None = None,
    ):
        self.locale, self.locale_column = _locale_args(locale, locale_column)
        plain = self.locale is None and self.locale_column is None
        self._plain = plain
        default = self._resolve_default_decimals()
        self._implied_decimals = default
        self.decimals = _check_decimals(default if decimals is None else decimals)
        if group is not None:
            _check_text("group", group)
        if decimal is not None:
            _check_text("decimal", decimal)
        self.group = "," if group is None and plain else group
        self.decimal = "." if decimal is None and plain else decimal
        self.scale = scale
        self.prefix = prefix
        self.suffix = suffix
        self.negative = negative
        _check_text("prefix", prefix)
        _check_text("suffix", suffix)
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or not -18 <= scale <= 38):
            raise TemplateError(f"scale must be None or an int in -18..38, got {scale!r}")
        if negative == "accounting" and self._accepts_accounting():
            self._neg_parts = None
        else:
            pattern = {"-": "-{}", "()": "({})"}.get(negative, negative)
            if not isinstance(pattern, str) or pattern.count("{}") != 1:
                raise TemplateError(
                    f"negative must be '-', '()'{self._accounting_hint()} or a pattern with one '{{}}' "
                    f"such as '{{}}-', got {negative!r}"
                )
            self._neg_parts = tuple(pattern.split("{}"))
        self._kernels: dict = {}
        self._kernel = self._kernel_for(self.locale)
        if self.locale is None and self.locale_column is not None:
            self._kernel_for("en")  # check that the options suit a locale before any data

    def _resolve_default_decimals(self) -> int:
        return self._default_decimals

    def _accepts_accounting(self) -> bool:
        return False

    def _accounting_hint(self) -> str:
        return ""

    def _style(self, locale: str) -> _locales.NumberStyle:
        return _locales.number_style(locale)

    def _make_kernel(self, locale: str | None):
        if locale is None:
            group, decimal, primary, secondary = ",", ".", 3, 3
            pp, ps = self.prefix, self.suffix
            before, after = self._neg_parts or ("(", ")")
            np_, ns = before + pp, ps + after
        else:
            st = self._style(locale)
            group, decimal, primary, secondary = st.group, st.decimal, st.primary, st.secondary
            pp, ps = st.pos_prefix, st.pos_suffix
            if self.negative in ("-", "accounting"):
                np_, ns = st.neg_prefix, st.neg_suffix
            else:
                assert self._neg_parts is not None  # None only for negative="accounting"
                before, after = self._neg_parts
                np_, ns = before + pp, ps + after
        if self.group is not None:
            group = self.group
        if self.decimal is not None:
            decimal = self.decimal
        return _format.NumberKernel(
            self.decimals,
            _check_text("group", group),
            _check_text("decimal", decimal),
            _check_text("prefix", pp),
            _check_text("suffix", ps),
            _check_text("negative", np_),
            _check_text("negative", ns),
            primary,
            secondary,
        )

    def _accepts(self, dtype: pa.DataType) -> bool:
        return _numeric_type(dtype)

    def _int_scale(self) -> int:
        """Implied decimals of integer columns."""
        return 0 if self.scale is None else self.scale

    def _frac_scale(self) -> int:
        """Implied decimals of decimal and float columns (on top of a decimal type's own)."""
        return 0 if self.scale is None else self.scale

    def _whole(self) -> bool:
        """Must float and decimal values be whole numbers (of the stored unit)?"""
        return False

    def problem(self, dtype: pa.DataType) -> str | None:
        if pa.types.is_dictionary(dtype):
            return self.problem(dtype.value_type)
        if pa.types.is_decimal(dtype) and dtype.scale > 38:
            return f"{self!r} handles decimals of up to 38 places, not {dtype}"
        return None

    def _apply(self, arr: pa.Array) -> pa.StringArray:
        return self._apply_with(arr, self._kernel)

    def _apply_with(self, arr: pa.Array, kernel) -> pa.StringArray:
        t = arr.type
        bufs = arr.buffers()
        if pa.types.is_integer(t):
            res = kernel.format_int(
                bufs[1],
                arr.offset,
                len(arr),
                t.bit_width // 8,
                pa.types.is_signed_integer(t),
                bufs[0],
                self._int_scale(),
            )
            return _build(arr, res)
        if pa.types.is_decimal(t):
            return self._apply_decimal(arr, kernel)
        return self._apply_float(arr, kernel)

    def _apply_decimal(self, arr: pa.Array, kernel) -> pa.StringArray:
        t = arr.type
        if not _LITTLE:  # pragma: no cover - big-endian hosts
            raise BindingError(f"{self!r}: decimal columns need a little-endian host")
        if not pa.types.is_decimal128(t):
            if pa.types.is_decimal256(t):
                too_big = _beyond_int128(arr)
                if len(too_big):
                    raise _fault_error(
                        self,
                        too_big.tolist(),
                        [
                            f"value {arr[int(r)].as_py()} has more digits than the formatter handles (38)"
                            for r in too_big
                        ],
                    )
            # every value fits 128 bits now (decimal32/64 always do): the kernel writes all 39 digits
            arr = pc.cast(arr, pa.decimal128(min(t.precision, 38), t.scale), safe=False)
            t = arr.type
        scale = t.scale + self._frac_scale()
        bufs = arr.buffers()
        whole = t.scale if self._whole() else 0
        faults = np.zeros(len(arr), dtype=np.uint8) if whole else None
        res = kernel.format_decimal128(bufs[1], arr.offset, len(arr), bufs[0], scale, whole, faults)
        if faults is not None and faults.any():
            rows = np.flatnonzero(faults)
            raise _fault_error(self, rows.tolist(), [self._fraction_reason(arr[int(r)].as_py()) for r in rows])
        return _build(arr, res)

    def _fraction_reason(self, value) -> str:
        return f"value {value} is not a whole number of minor units (unit='minor'): a fraction is never rounded away"

    def _apply_float(self, arr: pa.Array, kernel) -> pa.StringArray:
        if arr.type != pa.float64():
            arr = pc.cast(arr, pa.float64())
        if pc.any(pc.is_nan(arr)).as_py():  # NaN is "no value": make it null
            arr = pc.if_else(pc.is_nan(arr), scalar(None, pa.float64()), arr)
            if arr.null_count == len(arr):
                return pa.nulls(len(arr), pa.string())
        bufs = arr.buffers()
        exponent = self.decimals - self._frac_scale()
        faults = np.zeros(len(arr), dtype=np.uint8)
        res = kernel.format_float(bufs[1], arr.offset, len(arr), bufs[0], exponent, self._whole(), faults)
        if faults.any():
            rows = np.flatnonzero(faults)
            reasons = [
                self._fraction_reason(arr[int(r)].as_py())
                if faults[r] == 2
                else f"value {arr[int(r)].as_py()!r} cannot be formatted (infinite or too large)"
                for r in rows
            ]
            raise _fault_error(self, rows.tolist(), reasons)
        return _build(arr, res)

    def _args(self) -> list[str]:
        args = [repr(self.decimals)] if self.decimals != self._implied_decimals else []
        if self.scale is not None:
            args.append(f"scale={self.scale!r}")
        plain = self._plain
        for name, default in (
            ("group", "," if plain else None),
            ("decimal", "." if plain else None),
            ("prefix", ""),
            ("suffix", ""),
            ("negative", "-"),
        ):
            if getattr(self, name) != default:
                args.append(f"{name}={getattr(self, name)!r}")
        return args

    def _locale_repr(self) -> list[str]:
        args = []
        if self.locale is not None:
            args.append(f"locale={self.locale!r}")
        if self.locale_column is not None:
            args.append(f"locale_column={self.locale_column!r}")
        return args

    def __repr__(self) -> str:
        return f"number({', '.join(self._args() + self._locale_repr())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class MoneyFormat(NumberFormat):
    """Monetary amounts; see :func:`money`."""

    _default_decimals = 2

    def __init__(
        self,
        decimals: int | None = None,
        *,
        scale: int | None = None,
        group: str | None = None,
        decimal: str | None = None,
        currency: str = "",
        currency_after: bool = False,
        negative: str = "-",
        locale: str | Rule | None = None,
        locale_column: str | None = None,
        unit: str | None = None,
    ):
        self.unit = _check_unit(unit, scale)
        _check_text("currency", currency)
        self.currency = currency
        self.currency_after = bool(currency_after)
        loc, loc_col = _locale_args(locale, locale_column)
        if loc is not None or loc_col is not None:
            if currency:
                _locales.check_currency(currency)
            if self.currency_after:
                raise TemplateError("with a locale, the currency's place comes from CLDR: drop currency_after")
            prefix = suffix = ""
        else:
            prefix = "" if currency_after else currency
            suffix = currency if currency_after else ""
        super().__init__(
            decimals,
            group=group,
            decimal=decimal,
            scale=scale,
            prefix=prefix,
            suffix=suffix,
            negative=negative,
            locale=loc,
            locale_column=loc_col,
        )

    def _resolve_default_decimals(self) -> int:
        if not self._plain and self.currency:
            return _locales.currency_digits(self.currency)
        return 2

    def _accepts_accounting(self) -> bool:
        return True

    def _accounting_hint(self) -> str:
        return ", 'accounting'"

    def _style(self, locale: str) -> _locales.NumberStyle:
        if self.currency:
            return _locales.currency_style(locale, self.currency, self.negative == "accounting")
        return _locales.number_style(locale)

    def _int_scale(self) -> int:
        if self.scale is not None:
            return self.scale
        return 0 if self.unit == "major" else self.decimals

    def _frac_scale(self) -> int:
        if self.scale is not None:
            return self.scale
        return self.decimals if self.unit == "minor" else 0

    def _whole(self) -> bool:
        return self.unit == "minor"

    def problem(self, dtype: pa.DataType) -> str | None:
        if pa.types.is_dictionary(dtype):
            return self.problem(dtype.value_type)
        if pa.types.is_floating(dtype) and self.unit is None and self.scale is None:
            return (
                f"{self!r} on a {dtype} column cannot tell cents from currency units (a column of cents "
                f"becomes floating-point when it has a null, in pandas): state the unit, "
                f"{self._with_unit('minor')} for whole cents, {self._with_unit('major')} for amounts like 12.34"
            )
        return super().problem(dtype)

    def _with_unit(self, unit: str) -> str:
        inner = repr(self)[len("money(") : -1]
        return f"money({inner + ', ' if inner else ''}unit={unit!r})"

    def __repr__(self) -> str:
        args = [a for a in self._args() if not a.startswith(("prefix=", "suffix="))]
        if self.unit is not None:
            args.append(f"unit={self.unit!r}")
        if self.currency:
            args.append(f"currency={self.currency!r}")
        if self.currency_after:
            args.append("currency_after=True")
        return f"money({', '.join(args + self._locale_repr())})"


def number(
    decimals: int = 0,
    *,
    group: str | None = None,
    decimal: str | None = None,
    locale: str | Rule | None = None,
    locale_column: str | None = None,
) -> NumberFormat:
    """Format integers, decimals and floats as grouped numbers: ``1234567`` → ``"1,234,567"``.

    Integers are whole numbers; ``decimals`` adds zero places (``number(2)``: ``"1,234.00"``).
    Decimal columns keep their own scale and are rounded half to even to ``decimals``.
    Floats are rounded half to even at ``x * 10**decimals`` (so ``2.675`` — stored as
    2.67499999… — gives ``"2.67"``); NaN becomes null.

    With a locale, the symbols, grouping (``12,34,567`` in ``hi``) and signs come from the
    locale's CLDR decimal pattern, as ``babel.numbers.format_decimal`` writes them with
    ``decimals`` fixed places: ``number(2, locale="de")`` → ``"1.234.567,00"``.

    Args:
        decimals: places after the decimal separator, 0..18.
        group: thousands separator; ``""`` disables grouping. Default: ``","``, or the
            locale's.
        decimal: decimal separator. Default: ``"."``, or the locale's.
        locale: a locale id (``"de"``, ``"fr_CH"``, ``"de-CH"``) for every row, or
            ``col("language")`` (the same as ``locale_column="language"``).
        locale_column: a string column holding each row's locale id; null ids use
            ``locale``. Rows with an unknown id are rejected (see :meth:`Format.apply`).

    Raises:
        TemplateError: invalid arguments or an unknown locale.
    """
    return NumberFormat(decimals, group=group, decimal=decimal, locale=locale, locale_column=locale_column)


def money(
    decimals: int | None = None,
    *,
    unit: str | None = None,
    scale: int | None = None,
    group: str | None = None,
    decimal: str | None = None,
    currency: str = "",
    currency_after: bool = False,
    negative: str = "-",
    locale: str | Rule | None = None,
    locale_column: str | None = None,
) -> MoneyFormat:
    """Format monetary amounts: int64 cents ``123456789`` → ``"1,234,567.89"``.

    The unit the column holds is never guessed where it could be either:

    * integer columns hold **minor units** (cents: ``1234`` is ``12.34``) unless
      ``unit="major"`` says they hold whole currency units;
    * decimal columns hold **currency units** (``12.34`` is ``12.34``) unless
      ``unit="minor"``;
    * floating-point columns need the unit stated: ``money(unit="minor")`` for cents,
      ``money(unit="major")`` for ``12.34``. Without it, binding fails with an error that says
      so: a pandas column of integer cents turns into floats as soon as it holds a null, and
      read as currency units it would print every amount a hundred times too large.

    With ``unit="minor"``, float and decimal values must be whole numbers: a fraction of a
    cent rejects its record (it is never rounded away). Currency units are rounded half to
    even to ``decimals`` places. A zero after rounding has no sign (Babel writes ``-0.00``
    for a small negative amount; ccmcore writes ``0.00``).

    With a locale (``locale="de"`` or ``locale_column="language"``), ``currency`` is an
    ISO 4217 code and the amount is written as CLDR says for the locale, exactly as
    ``babel.numbers.format_currency`` does (CLDR 49: ``"1.234,56\\xa0€"`` in ``de``,
    ``"€1,234.56"`` in ``en``; CLDR's no-break spaces are kept), but for one case where
    Babel contradicts CLDR: an apostrophe group sign (``de_CH`` in CLDR 49) groups
    every thousand, ``"CHF\\xa01'234'567.89"`` (see :mod:`ccmcore.locales`). Without a
    currency, the locale's number symbols are used.

    Args:
        decimals: places after the decimal separator, 0..18. Default: 2, or the
            currency's CLDR digits when a locale and a currency code are given (JPY: 0).
            Minor units are ``10**-decimals`` of the currency.
        unit: ``"minor"`` (the column holds whole minor units: cents, pence) or ``"major"``
            (currency units). Default: minor for integer columns, major for decimal columns;
            floating-point columns must state it.
        scale: instead of ``unit``, the general form: the column stores amounts times
            ``10**scale``, -18..38 (``unit="minor"`` is ``scale=decimals``, ``"major"`` is
            ``scale=0``); values are rounded half to even to ``decimals``. Stating it states
            the unit, for float columns too.
        group: thousands separator, e.g. ``"."``, ``"'"``, ``"\\u202f"``; ``""`` disables it.
            Default: ``","``, or the locale's.
        decimal: decimal separator. Default: ``"."``, or the locale's.
        currency: without a locale, text put verbatim before the amount (or after it with
            ``currency_after=True``); include a space if one is wanted: ``" EUR"``. With a
            locale, an ISO 4217 code (``"EUR"``) shown by its CLDR symbol and placement.
        currency_after: put ``currency`` after the amount (not with a locale).
        negative: how negative amounts look: ``"-"`` (``-€1.00``; with a locale, CLDR's
            negative form), ``"()"`` (``(€1.00)``), ``"accounting"`` (with a locale: CLDR's
            accounting form, ``(€1.00)`` in ``en``; without one, the same as ``"()"``) or a
            pattern where ``{}`` stands for the amount with its currency, such as ``"{}-"``
            or ``"{} CR"``.
        locale: a locale id (``"de"``, ``"fr_CH"``, ``"de-CH"``) for every row, or
            ``col("language")`` (the same as ``locale_column="language"``).
        locale_column: a string column holding each row's locale id; null ids use
            ``locale``. Rows with an unknown id are rejected (see :meth:`Format.apply`).

    Raises:
        TemplateError: invalid arguments, an unknown locale or currency code, an unknown
            ``unit``, or both ``unit`` and ``scale``.
        BindingError (when bound or applied): a floating-point column without ``unit`` or
            ``scale``.
        DataError (from ``apply``): a value that cannot be shown: not finite, too large, more
            than 38 digits, or (``unit="minor"``) not a whole number.
    """
    return MoneyFormat(
        decimals,
        unit=unit,
        scale=scale,
        group=group,
        decimal=decimal,
        currency=currency,
        currency_after=currency_after,
        negative=negative,
        locale=locale,
        locale_column=locale_column,
    )


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
        for name, count in (("months", 12), ("months_abbr", 12), ("weekdays", 7), ("weekdays_abbr", 7), ("am_pm", 2)):
            value = tuple(getattr(self, name))
            if len(value) != count or not all(isinstance(v, str) for v in value):
                raise TemplateError(f"DateNames.{name} needs {count} strings")
            for v in value:
                _refuse_controls(f"DateNames.{name}", v)
            object.__setattr__(self, name, value)

    @classmethod
    def from_locale(cls, locale: str) -> DateNames:
        """The CLDR names of a locale (via Babel): wide and abbreviated month and weekday
        names in their "format" form, and the abbreviated AM/PM names.

        Raises:
            TemplateError: unknown locale.
        """
        return _names_of(_locales.require(locale))

    def _table(self) -> list[str]:
        return [*self.months, *self.months_abbr, *self.weekdays, *self.weekdays_abbr, *self.am_pm]


ENGLISH = DateNames(
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    months_abbr=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    weekdays_abbr=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
)

#: Names by key for ``date(..., names="en")``; add entries for names of your own. Any other
#: CLDR locale id (``names="de"``) takes its names from Babel (:meth:`DateNames.from_locale`).
DATE_NAMES: dict[str, DateNames] = {"en": ENGLISH}

_LOCALE_NAMES: dict[str, DateNames] = {}


def _names_of(locale: str) -> DateNames:
    """DateNames of a canonical locale id, built once."""
    names = _LOCALE_NAMES.get(locale)
    if names is None:
        names = _LOCALE_NAMES[locale] = DateNames(
            months=_locales.month_names(locale, "wide"),
            months_abbr=_locales.month_names(locale, "abbreviated"),
            weekdays=_locales.day_names(locale, "wide"),
            weekdays_abbr=_locales.day_names(locale, "abbreviated"),
            am_pm=_locales.period_names(locale, "abbreviated"),
        )
    return names


# op codes and fields of the C kernel (see _format.pyx)
_OP_LIT, _OP_NUM, _OP_NAME = 0, 1, 2
(
    _F_DAY,
    _F_MONTH,
    _F_YEAR,
    _F_YEAR2,
    _F_HOUR,
    _F_HOUR12,
    _F_MINUTE,
    _F_SECOND,
    _F_YDAY,
    _F_MICRO,
    _F_HOUR0_11,
    _F_HOUR1_24,
) = range(12)
_N_MONTH, _N_WEEKDAY, _N_AMPM, _N_ERA = range(4)  # name fields of _OP_NAME
_NAME_BASE = {"B": 0, "b": 12, "h": 12, "A": 24, "a": 31, "p": 38}
_NAME_FIELD = {"B": 0, "b": 0, "h": 0, "A": 1, "a": 1, "p": 2}
# directive -> (field, default pad, max width)
_NUM_DIRECTIVES = {
    "d": (_F_DAY, 0, 2),
    "e": (_F_DAY, 2, 2),
    "m": (_F_MONTH, 0, 2),
    "Y": (_F_YEAR, 0, 21),
    "y": (_F_YEAR2, 0, 2),
    "H": (_F_HOUR, 0, 2),
    "I": (_F_HOUR12, 0, 2),
    "M": (_F_MINUTE, 0, 2),
    "S": (_F_SECOND, 0, 2),
    "j": (_F_YDAY, 0, 3),
    "f": (_F_MICRO, 0, 6),
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
    literal: list[str] = []

    def flush():
        nonlocal max_len
        if literal:
            _refuse_controls(f"date pattern {pattern!r}:", "".join(literal))
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
            max_len += max(len(b) for b in table[base : base + count])
        else:
            raise TemplateError(
                f"date pattern {pattern!r}: unsupported directive "
                f"'%{pattern[i + 1 : j + 1]}' (supported: {_DIRECTIVES}, '-' flag on numbers)"
            )
        i = j + 1
    flush()
    offsets = np.zeros(len(table) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(b) for b in table])
    return (np.asarray(ops, dtype=np.int32), bytes(lits), b"".join(table), offsets, max_len)


_TICKS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


_WIDTHS = {1: "abbreviated", 2: "abbreviated", 3: "abbreviated", 4: "wide", 5: "narrow", 6: "short"}
_CLDR_NUMBERS = {  # letter -> (field, max width); count 1 = no padding, 2 = two digits
    "d": (_F_DAY, 2),
    "M": (_F_MONTH, 2),
    "L": (_F_MONTH, 2),
    "H": (_F_HOUR, 2),
    "h": (_F_HOUR12, 2),
    "K": (_F_HOUR0_11, 2),
    "k": (_F_HOUR1_24, 2),
    "m": (_F_MINUTE, 2),
    "s": (_F_SECOND, 2),
}
_CLDR_FIELDS = "G y(1,2,4) M L d D(1,3) E e c(3-6) a h H K k m s"


def _compile_cldr(pattern: str, locale: str):
    """A CLDR date pattern in ``locale`` -> the same tuple as :func:`_compile`.

    Fields are rendered as Babel's ``DateTimeFormat`` renders them; the names a pattern
    uses are put in the kernel's names table, one block per (letter, width, context).
    """
    ops: list[int] = []
    lits = bytearray()
    table: list[bytes] = []
    blocks: dict[tuple, int] = {}
    max_len = 0

    def names(key: tuple, values: Sequence[str], field: int) -> None:
        nonlocal max_len
        if key not in blocks:
            blocks[key] = len(table)
            table.extend(v.encode("utf-8") for v in values)
        ops.extend((_OP_NAME, blocks[key], field))
        max_len += max(len(v.encode("utf-8")) for v in values)

    def num(field: int, pad: int, width: int) -> None:
        nonlocal max_len
        ops.extend((_OP_NUM, field, pad))
        max_len += width

    for kind, value in _locales.tokenize(pattern):
        if kind == "chars":
            _refuse_controls(f"date pattern {pattern!r}:", value)
            raw = value.encode("utf-8")
            if raw:
                ops.extend((_OP_LIT, len(lits), len(raw)))
                lits.extend(raw)
                max_len += len(raw)
            continue
        ch, n = value
        if ch in _CLDR_NUMBERS and n <= 2:
            field, digits = _CLDR_NUMBERS[ch]
            num(field, 1 if n == 1 else 0, digits)
        elif ch in "ML" and n <= 5:
            width = _WIDTHS[n]
            context = "format" if ch == "M" else "stand-alone"
            names(("M", width, context), _locales.month_names(locale, width, context), _N_MONTH)
        elif ch == "y" and n in (1, 2, 4):
            if n == 2:
                num(_F_YEAR2, 0, 2)
            else:
                num(_F_YEAR, 1 if n == 1 else 0, 21)
        elif ch == "D" and n in (1, 3):
            num(_F_YDAY, 1 if n == 1 else 0, 3)
        elif (ch == "E" and n <= 6) or (ch in "ec" and 3 <= n <= 6):
            width = _WIDTHS[n]
            context = "stand-alone" if ch == "c" else "format"
            names(("E", width, context), _locales.day_names(locale, width, context), _N_WEEKDAY)
        elif ch == "a" and n <= 5:
            width = _WIDTHS[max(n, 3)]
            names(("a", width), _locales.period_names(locale, width), _N_AMPM)
        elif ch == "G" and n <= 5:
            width = _WIDTHS[max(n, 3)]
            names(("G", width), _locales.era_names(locale, width), _N_ERA)
        else:
            raise TemplateError(
                f"date pattern {pattern!r} ({locale}): field {ch * n!r} is not supported (supported: {_CLDR_FIELDS})"
            )
    offsets = np.zeros(len(table) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(b) for b in table]) if table else []
    return (np.asarray(ops, dtype=np.int32), bytes(lits), b"".join(table), offsets, max_len)


def _check_zone_shift(f: Format, utc: pa.Array, local: pa.Array) -> None:
    """A timestamp within a zone offset of the ends of int64 has no wall-clock time there:
    shifting it wraps around (year 292277026596 becomes -292277022657), so it is rejected."""
    u, w = utc.cast(pa.int64()), local.cast(pa.int64())
    offset = pc.subtract(w, u)  # the zone's offset, right even when w wrapped around
    wrapped = pc.not_equal(pc.greater(offset, scalar(0)), pc.greater(w, u))
    if not pc.any(wrapped).as_py():
        return
    rows = np.flatnonzero(to_numpy(pc.fill_null(wrapped, FALSE)))
    raise _fault_error(
        f,
        rows.tolist(),
        [
            f"timestamp {u[int(r)].as_py()} ({utc.type.unit}) is too close to the end of the 64-bit range "
            f"to be shown in time zone {utc.type.tz}"
            for r in rows
        ],
    )


class DateFormat(Format):
    """Dates and timestamps with a strftime-like or a CLDR pattern; see :func:`date`."""

    kind = "date or timestamp"
    clean_output = True
    _localized = True

    def __init__(
        self,
        pattern: str = "%d.%m.%Y",
        *,
        names: DateNames | str | None = None,
        locale: str | Rule | None = None,
        locale_column: str | None = None,
    ):
        if not isinstance(pattern, str):
            raise TemplateError(f"date pattern must be a str, got {type(pattern).__name__}")
        self.locale, self.locale_column = _locale_args(locale, locale_column)
        localized = self.locale is not None or self.locale_column is not None
        self.pattern = pattern
        self.cldr = "%" not in pattern and (localized or pattern in _locales.STANDARD_DATE_FORMATS)
        if self.cldr:
            if not localized:
                raise TemplateError(
                    f"date({pattern!r}) is a CLDR format: give it a locale, date({pattern!r}, locale='en')"
                )
            if names is not None:
                raise TemplateError("names apply to %-patterns; CLDR patterns take the locale's names")
        if isinstance(names, str):
            if names in DATE_NAMES:
                names = DATE_NAMES[names]
            elif (canonical := _locales.canonical(names)) is not None:
                names = _names_of(canonical)
            else:
                raise TemplateError(
                    f"no date names for locale {names!r} (known: {sorted(DATE_NAMES)} and the CLDR locales)"
                )
        if names is None and not localized:
            names = ENGLISH
        if names is not None and not isinstance(names, DateNames):
            raise TemplateError(f"names must be a DateNames or a locale key, got {type(names).__name__}")
        self.names = names
        self._kernels: dict = {}
        if self.locale is not None or not localized:
            self._kernel = self._kernel_for(self.locale)
        else:
            self._kernel = None
            self._kernel_for("en")  # check the pattern before any data

    def _make_kernel(self, locale: str | None):
        if self.cldr:
            assert locale is not None  # a CLDR pattern always has a locale (see __init__)
            compiled = _compile_cldr(_locales.date_pattern(locale, self.pattern), locale)
        else:
            names = self.names
            if names is None:  # the locale's names: formats without a locale have names
                assert locale is not None
                names = _names_of(locale)
            compiled = _compile(self.pattern, names)
        return _format.DateKernel(*compiled)

    def _accepts(self, dtype: pa.DataType) -> bool:
        return pa.types.is_date(dtype) or pa.types.is_timestamp(dtype)

    def _apply(self, arr: pa.Array) -> pa.StringArray:
        return self._apply_with(arr, self._kernel)

    def _apply_with(self, arr: pa.Array, kernel) -> pa.StringArray:
        t = arr.type
        if pa.types.is_timestamp(t) and t.tz is not None:
            local = pc.local_timestamp(arr)  # wall-clock time in the column's own zone
            _check_zone_shift(self, arr, local)
            arr = local
            t = arr.type
        if pa.types.is_date32(t):
            days32, ticks = True, 1
        elif pa.types.is_date64(t):
            days32, ticks = False, 1000
        else:
            days32, ticks = False, _TICKS[t.unit]
        bufs = arr.buffers()
        return _build(arr, kernel.format(bufs[1], arr.offset, len(arr), days32, ticks, bufs[0]))

    def __repr__(self) -> str:
        args = [] if self.pattern == "%d.%m.%Y" else [repr(self.pattern)]
        if self.names is not None and self.names is not ENGLISH:
            key = next((k for k, v in DATE_NAMES.items() if v is self.names), None)
            key = key or next((k for k, v in _LOCALE_NAMES.items() if v is self.names), None)
            args.append(f"names={key!r}" if key else "names=DateNames(...)")
        if self.locale is not None:
            args.append(f"locale={self.locale!r}")
        if self.locale_column is not None:
            args.append(f"locale_column={self.locale_column!r}")
        return f"date({', '.join(args)})"

    def _key(self) -> tuple:
        return (self.pattern, self.names, self.locale, self.locale_column)

    def __eq__(self, other: object) -> bool:
        return type(other) is DateFormat and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())


def date(
    pattern: str = "%d.%m.%Y",
    *,
    names: DateNames | str | None = None,
    locale: str | Rule | None = None,
    locale_column: str | None = None,
) -> DateFormat:
    """Format date32, date64 and timestamp columns with a strftime-like or a CLDR pattern.

    strftime-like patterns (any pattern with a ``%``): ``%d`` day, ``%e`` space-padded
    day, ``%m`` month, ``%Y`` year (4+ digits), ``%y`` 2-digit year, ``%b``/``%h``
    abbreviated and ``%B`` full month name, ``%a``/``%A`` weekday names, ``%H`` ``%I``
    ``%M`` ``%S`` time, ``%p`` AM/PM, ``%j`` day of year, ``%f`` microseconds, ``%%``.
    ``%-d`` (any numeric directive with ``-``) drops the padding: ``"%-d %B %Y"`` →
    ``"5 March 2024"``. Names are English, or ``names``, or the locale's.

    CLDR formats (with a locale, a pattern without ``%``), rendered as
    ``babel.dates.format_date`` / ``format_skeleton`` render them:

    * ``"short"``, ``"medium"``, ``"long"``, ``"full"``: the locale's standard date
      format (``date("long", locale="de")`` → ``"5. März 2024"``, ``en_GB``:
      ``"5 March 2024"``, ``en``: ``"March 5, 2024"``);
    * letters only: a CLDR skeleton, matched to the locale's closest format
      (``"yMMMd"``, ``"yMd"``, ``"MMMMy"``, ``"yMMMEd"``, ``"Hm"``);
    * anything else: a CLDR pattern (``"d. MMMM y"``, ``"dd.MM.y"``, ``"EEEE, d MMM y"``).

    Supported CLDR fields: ``G``, ``y`` ``yy`` ``yyyy``, ``M``…``MMMMM``, ``L``…,
    ``d`` ``dd``, ``D`` ``DDD``, ``E``…``EEEEEE``, ``ccc``…, ``a``, ``h`` ``H`` ``K`` ``k``,
    ``m``, ``s``; time zones, quarters, weeks and day periods (``B``) are not.

    Time-zone-aware timestamps are shown in their zone's wall-clock time; naive
    timestamps as stored.

    Args:
        pattern: the pattern (default ``"%d.%m.%Y"``).
        names: for %-patterns, month/weekday names: a :class:`DateNames`, a key of
            :data:`DATE_NAMES` or any CLDR locale id (``"de"``). Default: English, or the
            locale's names when a locale is given.
        locale: a locale id (``"de"``, ``"en_GB"``) for every row, or ``col("language")``
            (the same as ``locale_column="language"``).
        locale_column: a string column holding each row's locale id; null ids use
            ``locale``. Rows with an unknown id are rejected (see :meth:`Format.apply`).

    Raises:
        TemplateError: unsupported directive or CLDR field, unknown names or locale, or a
            CLDR format without a locale.
    """
    return DateFormat(pattern, names=names, locale=locale, locale_column=locale_column)


# ---------------------------------------------------------------- text


class TextFormat(Format):
    """Strings as they are; other types cast to their plain text; see :func:`text`."""

    kind = "a type castable to string"

    def _accepts(self, dtype: pa.DataType) -> bool:
        return (
            pa.types.is_string(dtype)
            or pa.types.is_large_string(dtype)
            or pa.types.is_string_view(dtype)
            or pa.types.is_binary(dtype)
            or pa.types.is_large_binary(dtype)
            or pa.types.is_binary_view(dtype)
            or pa.types.is_fixed_size_binary(dtype)
            or pa.types.is_boolean(dtype)
            or _numeric_type(dtype)
            or (pa.types.is_temporal(dtype) and not pa.types.is_interval(dtype))
        )

    def _apply(self, arr: pa.Array) -> pa.StringArray:
        t = arr.type
        if _string_like(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            return self._bytes(arr)
        if pa.types.is_fixed_size_binary(t):
            return self._bytes(pc.cast(arr, pa.binary()))
        if pa.types.is_date(t) or pa.types.is_timestamp(t) or pa.types.is_time(t):
            _check_text_range(self, arr)
        if pa.types.is_floating(t):
            # as number() does: NaN is no value; an infinity is no amount and is not shown as "inf"
            if pc.any(pc.is_nan(arr)).as_py():
                arr = pc.if_else(pc.is_nan(arr), scalar(None, t), arr)
            infinite = pc.is_inf(arr)
            if pc.any(infinite).as_py():
                rows = np.flatnonzero(to_numpy(pc.fill_null(infinite, FALSE)))
                raise _fault_error(self, rows.tolist(), [f"value {arr[int(r)].as_py()} is infinite" for r in rows])
        return pc.cast(arr, pa.string())

    def _bytes(self, arr: pa.Array) -> pa.StringArray:
        """Text from string or binary values, each checked to be UTF-8 (in the C kernel)."""
        values, faults = self.checked(arr)
        if faults:
            rows = [r for r, _, _ in faults]
            raise _fault_error(self, rows, [utf8_reason(where) for _, _, where in faults])
        return values

    @staticmethod
    def reads_bytes(dtype: pa.DataType) -> bool:
        """Whether text() takes values of ``dtype`` byte for byte (string and binary types)."""
        return (
            _string_like(dtype)
            or pa.types.is_binary(dtype)
            or pa.types.is_large_binary(dtype)
            or (pa.types.is_binary_view(dtype))
        )

    def checked(self, arr: pa.Array, policy: int = TEXT_UTF8) -> tuple[pa.StringArray, list]:
        """text() of string or binary values (:meth:`reads_bytes`) with one scan for every
        check: the values as a ``pa.string()`` array, null where they are not UTF-8, and what
        :func:`text_faults` found with ``policy`` (binding checks control characters here)."""
        t = arr.type
        if t != pa.string() and t != pa.binary():
            # large and view layouts: to the int32-offset layout the kernel reads, bytes unchanged
            # (as binary: a cast to string would check UTF-8 for the whole column, not per row)
            if pa.types.is_large_string(t):
                arr = arr.view(pa.large_binary())
            elif pa.types.is_string_view(t):
                arr = arr.view(pa.binary_view())
            arr = pc.cast(arr, pa.binary())
        faults = text_faults(arr, policy)
        if arr.type != pa.string():
            arr = pa.Array.from_buffers(
                pa.string(), len(arr), arr.buffers(), null_count=arr.null_count, offset=arr.offset
            )
        bad = [r for r, code, _ in faults if code == FAULT_NOT_UTF8]
        if bad:
            hide = np.zeros(len(arr), dtype=bool)
            hide[bad] = True
            arr = pc.if_else(from_numpy(hide), pa.nulls(len(arr), pa.string()), arr)
        return arr, faults

    def __repr__(self) -> str:
        return "text()"

    def __eq__(self, other: object) -> bool:
        return type(other) is TextFormat

    def __hash__(self) -> int:
        return hash("text()")


_DAY_TICKS = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
#: days from 1970-01-01 to 0001-01-01 and to 10000-01-01: the years text() writes
_FIRST_DAY, _END_DAY = -719_162, 2_932_897


def _check_text_range(f: Format, arr: pa.Array) -> None:
    """text() of dates, timestamps and times: Arrow writes values outside years 1..9999 (or
    outside one day) as something else (``<value out of range: ...>``), so they are rejected."""
    t = arr.type
    if pa.types.is_time(t):
        ticks = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[t.unit] * 86_400
        lo, hi, what = 0, ticks, "a time of day (00:00 to 24:00)"
        values = arr.cast(pa.int64())
    else:
        if pa.types.is_date32(t):
            per_day = 1
        elif pa.types.is_date64(t):
            per_day = 86_400_000
        else:
            per_day = _DAY_TICKS[t.unit]
        # a zoned timestamp is written in its zone's time: keep a day clear of either end
        margin = 1 if pa.types.is_timestamp(t) and t.tz is not None else 0
        lo = max((_FIRST_DAY + margin) * per_day, -(2**63))
        hi = min((_END_DAY - margin) * per_day, 2**63 - 1)
        what = "a date in the years 1 to 9999 (use date() for others)"
        values = arr.cast(pa.int32() if pa.types.is_date32(t) else pa.int64())
    out = pc.or_(pc.less(values, scalar(lo)), pc.greater_equal(values, scalar(hi)))
    if not pc.any(out).as_py():
        return
    rows = np.flatnonzero(to_numpy(pc.fill_null(out, FALSE)))
    raise _fault_error(f, rows.tolist(), [f"value {values[int(r)].as_py()} of {t} is not {what}" for r in rows])


def text() -> TextFormat:
    """Strings unchanged; numbers, booleans, dates and binary (UTF-8) cast to text.

    Every string and binary value is checked to be UTF-8 (Arrow can hold string columns
    that are not: built from buffers, or cast unchecked); a value that is not rejects its
    record. Dates and timestamps are written in ISO form for the years 1 to 9999, times of
    day within a day; other values reject their record (use :func:`date` for other years).

    Raises:
        DataError (from ``apply``): values that are not UTF-8, or dates and times out of
            that range (``records``: every such row, ``reasons``: what each holds).
    """
    return TextFormat()
