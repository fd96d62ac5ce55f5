"""Field formats: the C kernels against a Python reference on random and edge values."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ccmcore.errors import BindingError, DataError, TemplateError
from ccmcore.formats import (
    ENGLISH,
    DateFormat,
    DateNames,
    MoneyFormat,
    NumberFormat,
    TextFormat,
    date,
    money,
    number,
    text,
)

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
RNG = np.random.default_rng(20240305)


# ---------------------------------------------------------------- reference formatting


def ref_amount(value, *, decimals, scale, group=",", decimal=".", prefix="", suffix="", negative="-"):
    """Python/Decimal reference: value / 10**scale, half-even to ``decimals`` places."""
    if value is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 120
        q = Decimal(value).scaleb(-scale).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
        neg = q < 0
        body = f"{abs(q):,.{decimals}f}".replace(",", "\0").replace(".", decimal).replace("\0", group)
    body = prefix + body + suffix
    if not neg:
        return body
    pattern = {"-": "-{}", "()": "({})"}.get(negative, negative)
    return pattern.replace("{}", body)


def ref_float(x, *, decimals, scale=0, **kw):
    if x is None or x != x:
        return None
    e = decimals - scale
    scaled = x * float(10**e) if e >= 0 else x / float(10**-e)
    return ref_amount(round(scaled), decimals=decimals, scale=decimals, **kw)


def random_ints(n, lo=I64_MIN, hi=I64_MAX):
    """Values of every magnitude (a random number of digits), plus the edges."""
    digits = RNG.integers(0, 19, n)
    mags = (RNG.random(n) * 10.0**digits).astype(np.int64)
    vals = np.where(RNG.random(n) < 0.5, -mags, mags)
    vals[:8] = [0, -1, 1, I64_MIN, I64_MAX, -5, 999, -1000]
    return np.clip(vals, lo, hi)


def with_nulls(values, p=0.2):
    mask = RNG.random(len(values)) < p
    return [None if m else v for v, m in zip(values, mask)]


# ---------------------------------------------------------------- money and number on integers


def test_money_documented_examples():
    a = pa.array([123456789, -5, 0, None], pa.int64())
    assert money().apply(a).to_pylist() == ["1,234,567.89", "-0.05", "0.00", None]
    assert money(group="").apply(a).to_pylist() == ["1234567.89", "-0.05", "0.00", None]
    assert money(group=".", decimal=",", currency=" €", currency_after=True).apply(a).to_pylist() == [
        "1.234.567,89 €",
        "-0,05 €",
        "0,00 €",
        None,
    ]
    assert money(currency="$", negative="()").apply(a).to_pylist() == ["$1,234,567.89", "($0.05)", "$0.00", None]
    assert money(negative="{}-").apply(a).to_pylist()[:2] == ["1,234,567.89", "0.05-"]
    assert money(currency="EUR ", negative="{} CR").apply(a).to_pylist()[1] == "EUR 0.05 CR"
    assert number().apply(pa.array([1234567, -1000, 999])).to_pylist() == ["1,234,567", "-1,000", "999"]
    assert number(2).apply(pa.array([1234567])).to_pylist() == ["1,234,567.00"]


def test_int64_edges():
    a = pa.array([I64_MIN, I64_MAX, 0, -1], pa.int64())
    assert money().apply(a).to_pylist() == ["-92,233,720,368,547,758.08", "92,233,720,368,547,758.07", "0.00", "-0.01"]
    assert number().apply(a).to_pylist() == ["-9,223,372,036,854,775,808", "9,223,372,036,854,775,807", "0", "-1"]
    u = pa.array([2**64 - 1, 0], pa.uint64())
    assert number().apply(u).to_pylist() == ["18,446,744,073,709,551,615", "0"]
    assert money(scale=19, decimals=0).apply(u).to_pylist() == ["2", "0"]
    assert money(scale=25, decimals=2).apply(a).to_pylist() == ["0.00", "0.00", "0.00", "0.00"]


OPTION_SETS = [
    dict(decimals=2),
    dict(decimals=0),
    dict(decimals=3, group="", decimal=","),
    dict(decimals=2, group=".", decimal=",", currency=" €", currency_after=True),
    dict(decimals=2, group="\u202f", decimal=",", currency="CHF\u00a0", negative="()"),
    dict(decimals=2, scale=4),  # rounding 4 stored decimals to 2 (half even)
    dict(decimals=1, scale=0),  # padding whole units with a zero place
    dict(decimals=2, scale=-3, group="'"),  # stored in thousands
    dict(decimals=4, scale=18, negative="{}-"),
    dict(decimals=18, scale=0, group=""),
]


@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: repr(money(**o)))
def test_money_int64_random_against_reference(opts):
    values = with_nulls(random_ints(4000).tolist())
    arr = pa.array(values, pa.int64())
    fmt = money(**opts)
    scale = opts.get("scale", opts["decimals"])
    kw = {k: v for k, v in opts.items() if k in ("group", "decimal", "negative")}
    cur = opts.get("currency", "")
    kw["prefix"], kw["suffix"] = ("", cur) if opts.get("currency_after") else (cur, "")
    expected = [ref_amount(v, decimals=opts["decimals"], scale=scale, **kw) for v in values]
    got = fmt.apply(arr)
    assert got.type == pa.string() and len(got) == len(values)
    assert got.to_pylist() == expected
    assert got.null_count == sum(v is None for v in values)
    got.validate(full=True)


@pytest.mark.parametrize(
    "dtype", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]
)
def test_every_integer_width(dtype):
    info = np.iinfo(dtype.to_pandas_dtype())
    values = RNG.integers(info.min, info.max, 1000, dtype=dtype.to_pandas_dtype(), endpoint=True).tolist()
    values[:2] = [int(info.min), int(info.max)]
    values = with_nulls(values)
    arr = pa.array(values, dtype)
    assert money().apply(arr).to_pylist() == [ref_amount(v, decimals=2, scale=2) for v in values]
    assert number(1, group=" ").apply(arr).to_pylist() == [
        ref_amount(v, decimals=1, scale=0, group=" ") for v in values
    ]


@pytest.mark.parametrize("offset", [0, 1, 3, 7, 8, 9, 16, 61])
def test_sliced_arrays_keep_alignment_and_nulls(offset):
    values = with_nulls(random_ints(300).tolist(), p=0.3)
    base = pa.array(values, pa.int64())
    part = base.slice(offset, 150)
    got = money().apply(part)
    assert got.to_pylist() == [ref_amount(v, decimals=2, scale=2) for v in values[offset : offset + 150]]
    got.validate(full=True)
    # int32 path and a slice without nulls
    part32 = pa.array([v if v is None else v % 2**31 for v in values], pa.int32()).slice(offset, 100)
    assert number().apply(part32).to_pylist() == [ref_amount(v, decimals=0, scale=0) for v in part32.to_pylist()]


def test_validity_bitmap_is_reused_when_aligned():
    arr = pa.array([1, None, 3] * 100, pa.int64())
    out = money().apply(arr)
    assert out.buffers()[0].address == arr.buffers()[0].address
    sliced = arr.slice(16, 50)
    assert money().apply(sliced).buffers()[0].address == arr.buffers()[0].address + 2


def test_chunked_arrays_and_empty_and_all_null():
    chunks = [with_nulls(random_ints(50).tolist()) for _ in range(4)]
    ca = pa.chunked_array([pa.array(c, pa.int64()) for c in chunks])
    got = money().apply(ca)
    assert isinstance(got, pa.StringArray)
    assert got.to_pylist() == [ref_amount(v, decimals=2, scale=2) for c in chunks for v in c]
    assert money().apply(pa.chunked_array([], pa.int64())).to_pylist() == []
    assert money().apply(pa.array([], pa.int64())).type == pa.string()
    assert money().apply(pa.array([None, None], pa.int64())).to_pylist() == [None, None]
    assert money().apply(pa.nulls(3)).to_pylist() == [None] * 3


def test_dictionary_arrays_are_formatted_by_dictionary():
    arr = pa.array([100, None, 250, 100], pa.int64()).dictionary_encode()
    assert money().accepts(arr.type)
    assert money().apply(arr).to_pylist() == ["1.00", None, "2.50", "1.00"]


def test_zero_after_rounding_has_no_sign():
    arr = pa.array([-4, -5, -6, -15, 5, 15, 25], pa.int64())
    assert money(decimals=1, scale=2).apply(arr).to_pylist() == ["0.0", "0.0", "-0.1", "-0.2", "0.0", "0.2", "0.2"]


# ---------------------------------------------------------------- floats and decimals


def test_float_half_even_and_nan():
    arr = pa.array([0.125, 0.375, 1.005, 2.5, -2.5, 1234567.891, -0.001, float("nan"), None])
    assert number(2).apply(arr).to_pylist() == [
        "0.12",
        "0.38",
        "1.00",
        "2.50",
        "-2.50",
        "1,234,567.89",
        "0.00",
        None,
        None,
    ]
    assert number().apply(pa.array([0.5, 1.5, 2.5, -0.5])).to_pylist() == ["0", "2", "2", "0"]
    assert money(currency="$", unit="major").apply(pa.array([12.345, float("nan")], pa.float32())).to_pylist() == [
        "$12.35",
        None,
    ]


def test_float_random_against_reference():
    x = (RNG.standard_normal(3000) * 10.0 ** RNG.integers(-3, 12, 3000)).tolist()
    values = with_nulls(x)
    arr = pa.array(values, pa.float64()).slice(5)
    for opts in (dict(decimals=2, scale=0), dict(decimals=0, scale=-3), dict(decimals=3, scale=2)):
        got = money(**opts).apply(arr).to_pylist()
        assert got == [ref_float(v, decimals=opts["decimals"], scale=opts.get("scale", 0)) for v in values[5:]]


def test_float_out_of_range_is_a_data_error():
    with pytest.raises(DataError) as e:
        money(unit="major").apply(pa.array([1.0, None, float("inf")]))
    assert e.value.record == 2
    with pytest.raises(DataError):
        number().apply(pa.array([1e30]))


@pytest.mark.parametrize("precision,scale", [(10, 2), (18, 4), (38, 4), (38, 0), (38, 30), (20, 10)])
def test_decimal128_random_against_reference(precision, scale):
    unscaled = []
    for d in RNG.integers(0, precision + 1, 1500).tolist():
        u = int(RNG.integers(0, 10 ** min(d, 18))) * 10 ** max(0, d - 18) + int(RNG.integers(0, 10 ** min(d, 18)))
        u = min(u, 10**precision - 1)
        unscaled.append(-u if RNG.random() < 0.5 else u)
    unscaled[:3] = [10**precision - 1, -(10**precision - 1), 0]
    unscaled = with_nulls(unscaled)
    arr = pa.array([None if u is None else Decimal(f"{u}E-{scale}") for u in unscaled], pa.decimal128(precision, scale))
    for opts in (dict(decimals=2), dict(decimals=0, group="."), dict(decimals=6, scale=1)):
        got = money(**opts).apply(arr).to_pylist()
        exp = [
            ref_amount(u, decimals=opts["decimals"], scale=scale + opts.get("scale", 0), group=opts.get("group", ","))
            for u in unscaled
        ]
        assert got == exp


def test_decimal_half_even_and_other_widths():
    vals = [Decimal("0.005"), Decimal("0.015"), Decimal("-0.025"), Decimal("-0.0051"), None]
    exp = ["0.00", "0.02", "-0.02", "-0.01", None]
    assert money().apply(pa.array(vals, pa.decimal128(10, 4))).to_pylist() == exp
    assert money().apply(pa.array(vals, pa.decimal256(50, 4))).to_pylist() == exp
    assert money().apply(pa.array(vals, pa.decimal64(10, 4))).to_pylist() == exp
    assert money().apply(pa.array(vals, pa.decimal32(9, 4))).to_pylist() == exp
    big = pa.array([Decimal(10**45)], pa.decimal256(50, 0))
    with pytest.raises(DataError):
        money().apply(big)


# ---------------------------------------------------------------- dates

PATTERN_ALL = "%a %A %d %e %m %Y %y %b %h %B %H:%M:%S %I %p %j %f %% x"


def random_datetimes(n, lo=dt.datetime(1000, 1, 1), hi=dt.datetime(9999, 12, 31)):
    span = int((hi - lo).total_seconds())
    secs = RNG.integers(0, span, n)
    micros = RNG.integers(0, 1_000_000, n)
    return [lo + dt.timedelta(seconds=int(s), microseconds=int(u)) for s, u in zip(secs, micros)]


@pytest.mark.skipif(sys.platform == "win32", reason="reference uses glibc strftime")
@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamps_against_strftime(unit):
    if unit == "ns":
        values = random_datetimes(2000, dt.datetime(1678, 1, 1), dt.datetime(2261, 12, 31))
    else:
        values = random_datetimes(2000)
    values[:3] = [
        dt.datetime(1970, 1, 1),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2000, 2, 29, 12, 0, 0),
    ]
    div = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": 1}[unit]
    values = [v.replace(microsecond=v.microsecond // div * div) for v in values]
    values = with_nulls(values)
    arr = pa.array(values, pa.timestamp(unit))
    for pattern in (PATTERN_ALL, "%-d.%-m.%Y %-H:%M", "%d.%m.%Y"):
        got = date(pattern).apply(arr.slice(3))
        assert got.to_pylist() == [None if v is None else v.strftime(pattern) for v in values[3:]]


def test_date32_date64_against_reference():
    days = RNG.integers(-354000, 2900000, 3000).tolist()  # years 1000..9900
    days[:3] = [0, -1, 59 + 365 * 30 + 7]  # 1970-01-01, 1969-12-31, 2000-03-01
    days = with_nulls(days)
    epoch = dt.date(1970, 1, 1)
    dates = [None if d is None else epoch + dt.timedelta(days=d) for d in days]
    a32 = pa.array(days, pa.int32()).cast(pa.date32())
    a64 = pa.array(dates, pa.date64())
    for pattern in ("%d.%m.%Y", "%A, %-d %B %Y (%j)", "%y%m%d"):
        exp = [None if d is None else d.strftime(pattern) for d in dates]
        assert date(pattern).apply(a32).to_pylist() == exp
        assert date(pattern).apply(a64).to_pylist() == exp
    leap = pa.array([(dt.date(2000, 2, 29) - epoch).days + k for k in range(3)], pa.int32()).cast(pa.date32())
    assert date("%d.%m.%Y %j").apply(leap).to_pylist() == ["29.02.2000 060", "01.03.2000 061", "02.03.2000 062"]
    # years below 1000 keep four digits (glibc's strftime would print "1")
    early = pa.array([-719162, -719163], pa.int32()).cast(pa.date32())
    assert date("%d.%m.%Y %y").apply(early).to_pylist() == ["01.01.0001 01", "31.12.0000 00"]


def test_dates_match_arrow_strftime():
    days = pa.array(RNG.integers(-30000, 60000, 2000).astype(np.int32)).cast(pa.date32())
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d %b %Y", "%B %y"):
        assert date(pattern).apply(days).equals(pc.strftime(days, pattern))


def test_timezone_aware_timestamps_use_wall_clock_time():
    utc = pa.array(
        [dt.datetime(2024, 3, 31, 0, 30), dt.datetime(2024, 12, 31, 23, 30), None], pa.timestamp("us", tz="UTC")
    )
    berlin = utc.cast(pa.timestamp("us", tz="Europe/Berlin"))
    assert date("%d.%m.%Y %H:%M").apply(berlin).to_pylist() == ["31.03.2024 01:30", "01.01.2025 00:30", None]
    assert date("%d.%m.%Y %H:%M").apply(utc).to_pylist() == ["31.03.2024 00:30", "31.12.2024 23:30", None]


def test_extreme_and_negative_years():
    arr = pa.array([-(2**31), 2**31 - 1], pa.int32()).cast(pa.date32())
    y = [int(s) for s in date("%Y").apply(arr).to_pylist()]
    assert y[0] < -5_000_000 and y[1] > 5_000_000
    ns = pa.array([1_999_999_999, -1], pa.timestamp("ns"))
    assert date("%S.%f").apply(ns).to_pylist() == ["01.999999", "59.999999"]
    ts = pa.array([I64_MIN, I64_MAX], pa.timestamp("s"))
    out = date("%Y-%m-%d %H:%M:%S").apply(ts).to_pylist()
    assert all(isinstance(s, str) and len(s) > 19 for s in out)


def test_date_names_hook():
    german = DateNames(
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        months_abbr=("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
        weekdays=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        weekdays_abbr=("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    )
    arr = pa.array([dt.date(2024, 3, 5)], pa.date32())
    assert date("%A, %-d. %B %Y", names=german).apply(arr).to_pylist() == ["Dienstag, 5. März 2024"]
    assert date("%-d %B %Y").apply(arr).to_pylist() == ["5 March 2024"]
    with pytest.raises(TemplateError):
        DateNames(months=("a",), months_abbr=(), weekdays=(), weekdays_abbr=())
    with pytest.raises(TemplateError):
        date(names="xx")


@pytest.mark.parametrize("pattern", ["%Q", "%", "%-", "%-b", 5])
def test_bad_date_patterns(pattern):
    with pytest.raises(TemplateError):
        date(pattern)


# ---------------------------------------------------------------- text


def test_text_identity_and_casts():
    s = pa.array(["a", None, "ü"])
    assert text().apply(s) is s
    assert text().apply(pa.array(["x", None], pa.large_string())).type == pa.string()
    assert text().apply(pa.array(["x", None], pa.string_view())).to_pylist() == ["x", None]
    assert text().apply(pa.array([1, None, -3])).to_pylist() == ["1", None, "-3"]
    assert text().apply(pa.array([True, False])).to_pylist() == ["true", "false"]
    assert text().apply(pa.array(["b", "a", "b"]).dictionary_encode()).to_pylist() == ["b", "a", "b"]
    assert text().apply(pa.chunked_array([["a"], ["b", None]])).to_pylist() == ["a", "b", None]
    with pytest.raises(DataError):
        text().apply(pa.array([b"\xff\xfe"], pa.binary()))


# ---------------------------------------------------------------- binding surface


def test_accepts_kind_and_binding_errors():
    assert money().accepts(pa.int64()) and money().accepts(pa.decimal128(10, 2))
    assert money().accepts(pa.float32()) and not money().accepts(pa.string())
    assert not number().accepts(pa.timestamp("us")) and not number().accepts(pa.bool_())
    assert date().accepts(pa.date32()) and date().accepts(pa.timestamp("ns", tz="UTC"))
    assert not date().accepts(pa.int64()) and not date().accepts(pa.string())
    assert text().accepts(pa.int64()) and text().accepts(pa.string_view())
    assert not text().accepts(pa.list_(pa.int64())) and not text().accepts(pa.struct([("a", pa.int8())]))
    assert text().accepts(pa.time64("us")) and not text().accepts(pa.month_day_nano_interval())
    assert money().kind == "integer, decimal or floating-point"
    assert date().kind == "date or timestamp"
    with pytest.raises(BindingError, match="money"):
        money().apply(pa.array(["1.00"]))
    with pytest.raises(BindingError):
        date().apply(pa.array([1, 2]))


def test_reprs_and_equality():
    assert repr(money()) == "money()"
    assert repr(money(0, scale=2, group=".", decimal=",", currency=" €", currency_after=True, negative="()")) == (
        "money(0, scale=2, group='.', decimal=',', negative='()', currency=' €', currency_after=True)"
    )
    assert repr(number(2, group="")) == "number(2, group='')"
    assert repr(date()) == "date()" and repr(date("%Y")) == "date('%Y')"
    assert repr(text()) == "text()"
    assert money() == money() and money() != money(currency="$") and {money(), money()} == {money()}
    assert date("%Y") == date("%Y") and text() == text()
    assert isinstance(money(), MoneyFormat) and isinstance(money(), NumberFormat)
    assert isinstance(number(), NumberFormat) and isinstance(date(), DateFormat)
    assert isinstance(text(), TextFormat) and date().names is ENGLISH


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(decimals=-1),
        dict(decimals=19),
        dict(decimals=2.0),
        dict(negative="minus"),
        dict(negative="{}{}"),
        dict(scale=39),
        dict(group=5),
        dict(currency=None),
    ],
)
def test_bad_money_arguments(kwargs):
    with pytest.raises(TemplateError):
        money(**kwargs)


# ---------------------------------------------------------------- group sizes (CLDR grouping)


def ref_grouped(value, decimals, scale, primary, secondary, group=","):
    """Python reference: the rightmost group has ``primary`` digits, the others ``secondary``."""
    if value is None:
        return None
    plain = ref_amount(value, decimals=decimals, scale=scale, group="")
    sign, body = ("-", plain[1:]) if plain.startswith("-") else ("", plain)
    whole, _, frac = body.partition(".")
    parts = []
    if len(whole) > primary:
        parts.append(whole[-primary:])
        whole = whole[:-primary]
        while len(whole) > secondary:
            parts.append(whole[-secondary:])
            whole = whole[:-secondary]
    parts.append(whole)
    return sign + group.join(reversed(parts)) + ("." + frac if frac else "")


@pytest.mark.parametrize("sizes", [(3, 2), (2, 2), (4, 1), (1, 3), (3, 3)])
def test_kernel_group_sizes_on_every_path(sizes):
    from ccmcore import _format

    primary, secondary = sizes
    kernel = _format.NumberKernel(2, b"\xe2\x80\x99", b".", b"", b"", b"-", b"", primary, secondary)
    values = with_nulls(random_ints(2000).tolist())
    arr = pa.array(values, pa.int64())
    out = pa.Array.from_buffers(
        pa.string(),
        len(arr),
        [arr.buffers()[0], *kernel.format_int(arr.buffers()[1], 0, len(arr), 8, True, arr.buffers()[0], 2)],
    )
    assert out.to_pylist() == [ref_grouped(v, 2, 2, primary, secondary, "’") for v in values]
    dec = pa.array([None if v is None else Decimal(v).scaleb(-3) for v in values], pa.decimal128(38, 3))
    out = pa.Array.from_buffers(
        pa.string(),
        len(dec),
        [dec.buffers()[0], *kernel.format_decimal128(dec.buffers()[1], 0, len(dec), dec.buffers()[0], 3)],
    )
    assert out.to_pylist() == [ref_grouped(v, 2, 3, primary, secondary, "’") for v in values]
    with pytest.raises(ValueError):
        _format.NumberKernel(2, b",", b".", b"", b"", b"-", b"", 0, 3)


def test_small_codes_and_interleave_kernels():
    from ccmcore import _format

    ids = pa.array(["de", "en", None, "de", "", "fr_CH_long_id", "en", "fr_CH_long_id"])
    codes = np.empty(len(ids), np.int32)
    b = ids.buffers()
    keys = _format.small_codes(b[1], b[2], 0, len(ids), b[0], codes)
    assert keys == [b"de", b"en", b"", b"fr_CH_long_id"]
    assert codes.tolist() == [0, 1, -1, 0, 2, 3, 1, 3]
    codes2 = np.empty(5, np.int32)
    assert _format.small_codes(b[1], b[2], 3, 5, b[0], codes2) == [b"de", b"", b"fr_CH_long_id", b"en"]
    many = pa.array([str(i) for i in range(300)])
    b = many.buffers()
    assert _format.small_codes(b[1], b[2], 0, 300, None, np.empty(300, np.int32)) is None
    g0, g1 = pa.array(["a", None, "ccc"]), pa.array(["bb"])
    group = np.array([0, 1, 2, 0, 0], np.int32)  # group 2: null rows
    validity, offsets, data, nulls = _format.interleave(group, [tuple(g0.buffers()), tuple(g1.buffers())])
    out = pa.Array.from_buffers(pa.string(), 5, [validity, offsets, data], null_count=nulls)
    out.validate(full=True)
    assert out.to_pylist() == ["a", "bb", None, None, "ccc"] and nulls == 2
    with pytest.raises(ValueError):
        _format.interleave(np.array([1, 1], np.int32), [tuple(g0.buffers()), tuple(g1.buffers())])
