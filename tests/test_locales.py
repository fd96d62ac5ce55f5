"""Locale formatting (CLDR via Babel): the C kernels against Babel's own per-value functions."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np
import pyarrow as pa
import pytest

babel = pytest.importorskip("babel")
from babel import Locale, localedata  # noqa: E402
from babel.dates import format_date, format_datetime, format_skeleton  # noqa: E402
from babel.numbers import format_currency as babel_format_currency  # noqa: E402
from babel.numbers import get_group_symbol, parse_pattern  # noqa: E402

from ccmcore import (  # noqa: E402
    Column,
    Document,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    layout,
    locales,  # noqa: E402
    mm,
)
from ccmcore.errors import BindingError, DataError, TemplateError  # noqa: E402
from ccmcore.formats import DateNames, NumberFormat, date, money, number, text  # noqa: E402
from ccmcore.rules import col  # noqa: E402

RNG = np.random.default_rng(20261122)
LOCALES = ["en", "de", "fr", "de_CH", "en_US", "nl", "en_GB", "hi_IN", "ar", "sv", "ja", "pt_BR"]
CURRENCIES = ["EUR", "USD", "CHF", "GBP"]


# ---------------------------------------------------------------- references (Babel, per value)


def quantize(value, scale, decimals):
    """value / 10**scale rounded half to even to ``decimals``; a rounded zero has no sign."""
    with localcontext() as ctx:
        ctx.prec = 120
        q = Decimal(value).scaleb(-scale).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return abs(q) if q == 0 else q


def apostrophe_grouped(loc):
    """Babel drops pairs of apostrophe group signs (the one place ccmcore follows CLDR, not Babel:
    see ccmcore.locales); for these locales the reference is Babel's ungrouped output, regrouped."""
    return "'" in get_group_symbol(loc)


def regroup(text, loc, pattern):
    """Insert ``loc``'s group sign into the first run of digits of ``text`` as ``pattern`` groups."""
    start = next(i for i, ch in enumerate(text) if ch.isdigit())
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    digits, groups = text[start:end], []
    size = pattern.grouping[0]
    while len(digits) > size:
        groups.insert(0, digits[-size:])
        digits, size = digits[:-size], pattern.grouping[1]
    groups.insert(0, digits)
    return text[:start] + get_group_symbol(loc).join(groups) + text[end:]


def format_currency(number, code, locale, **kw):
    """``babel.numbers.format_currency``, grouped as its CLDR pattern says."""
    if not apostrophe_grouped(locale):
        return babel_format_currency(number, code, locale=locale, **kw)
    plain = babel_format_currency(number, code, locale=locale, group_separator=False, **kw)
    formats = Locale.parse(locale).currency_formats
    kind = kw.get("format_type", "standard")
    return regroup(plain, locale, formats[kind if kind in formats else "standard"])


def ref_currency(value, code, loc, *, scale=2, decimals=2, **kw):
    if value is None:
        return None
    return format_currency(quantize(value, scale, decimals), code, locale=loc, **kw)


def ref_number(value, loc, decimals, scale=0):
    """Babel's decimal pattern of ``loc`` with exactly ``decimals`` places."""
    if value is None:
        return None
    pattern = copy.copy(parse_pattern(Locale.parse(loc).decimal_formats[None].pattern))
    pattern.frac_prec = (decimals, decimals)
    if not apostrophe_grouped(loc):
        return pattern.apply(quantize(value, scale, decimals), loc)
    return regroup(pattern.apply(quantize(value, scale, decimals), loc, group_separator=False), loc, pattern)


def random_cents(n, max_digits=17):
    digits = RNG.integers(0, max_digits, n)
    mags = (RNG.random(n) * 10.0**digits).astype(np.int64)
    vals = np.where(RNG.random(n) < 0.4, -mags, mags)
    vals[:6] = [0, -1, 1, 99, -100, 123456]
    return vals.tolist()


def with_nulls(values, p=0.15):
    mask = RNG.random(len(values)) < p
    return [None if m else v for v, m in zip(values, mask)]


def random_dates(n):
    lo, hi = dt.date(1, 1, 1).toordinal(), dt.date(9999, 12, 31).toordinal()
    days = RNG.integers(lo, hi, n, endpoint=True)
    out = [dt.date.fromordinal(int(d)) for d in days]
    out[:4] = [dt.date(2026, 11, 22), dt.date(2024, 2, 29), dt.date(1, 1, 1), dt.date(9999, 12, 31)]
    return out


# ---------------------------------------------------------------- fixed locale: money


@pytest.mark.parametrize("loc", LOCALES)
@pytest.mark.parametrize("code", CURRENCIES)
def test_money_matches_babel_format_currency(loc, code):
    values = with_nulls(random_cents(1500))
    got = money(currency=code, locale=loc).apply(pa.array(values, pa.int64()))
    assert got.to_pylist() == [ref_currency(v, code, loc) for v in values]
    got.validate(full=True)


def test_documented_examples():
    """The examples of the formats' docstrings, against Babel (their CLDR strings change with releases)."""
    a = pa.array([123456], pa.int64())
    for code, loc in [("EUR", "de"), ("EUR", "en"), ("CHF", "de_CH")]:
        assert money(currency=code, locale=loc).apply(a).to_pylist() == [ref_currency(123456, code, loc)]
    assert number(2, locale="hi_IN").apply(pa.array([123456789])).to_pylist() == [ref_number(123456789, "hi_IN", 2)]
    d = pa.array([dt.date(2026, 11, 22)])
    for loc in ["en_GB", "de", "en"]:
        assert date("long", locale=loc).apply(d).to_pylist() == [format_date(d[0].as_py(), "long", locale=loc)]


def integer_groups(text, sign):
    """The groups of the first run of digits and group signs in ``text``."""
    start = next(i for i, ch in enumerate(text) if ch.isdigit())
    end = start
    while end < len(text) and (text[end].isdigit() or text.startswith(sign, end)):
        end += 1
    return text[start:end].split(sign)


def test_apostrophe_group_sign_groups_like_the_pattern():
    """The decision in ccmcore.locales: an apostrophe group sign groups every thousand, as CLDR's pattern
    says, where Babel takes pairs of them for quotes. Checked for every locale whose installed CLDR has
    one, and for an apostrophe given as ``group=`` (so the rule is tested whatever CLDR release is here)."""
    values = [0, 999, 1000, 123456, 1234567890, -6458618628, 987654321098765432]
    cases = [(loc, None) for loc in localedata.locale_identifiers() if apostrophe_grouped(loc)]
    cases += [("de", "'"), ("en", "'"), ("fr", "'")]
    for loc, group in cases:
        sign = group or get_group_symbol(loc)
        got = money(currency="CHF", locale=loc, group=group).apply(pa.array(values, pa.int64())).to_pylist()
        for value, shown in zip(values, got):
            plain = babel_format_currency(quantize(value, 2, 2), "CHF", locale=loc, group_separator=False)
            assert shown.replace(sign, "") == plain.replace(get_group_symbol(loc), ""), (loc, shown)
            groups = integer_groups(shown, sign)
            assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]), (loc, shown)
            assert len("".join(groups)) == len(str(abs(value) // 100)), (loc, shown)


@pytest.mark.parametrize("loc", ["en", "de", "de_CH", "nl", "ja"])
def test_money_rounding_floats_decimals_and_currency_digits(loc):
    # stored with 4 places, shown with the currency's 2: half to even, as Babel's quantize
    values = with_nulls(random_cents(800) + [125, -125, 135, 5000, -5000, 49999])
    fmt = money(currency="EUR", scale=4, locale=loc)
    assert fmt.apply(pa.array(values, pa.int64())).to_pylist() == [ref_currency(v, "EUR", loc, scale=4) for v in values]
    # decimal128 and float columns in major units
    dec = [None if v is None else Decimal(v).scaleb(-3) for v in values]
    got = money(currency="USD", locale=loc).apply(pa.array(dec, pa.decimal128(30, 3)))
    assert got.to_pylist() == [None if v is None else ref_currency(v.scaleb(3), "USD", loc, scale=3) for v in dec]
    floats = [None if v is None else v / 100 for v in values if v is None or abs(v) < 2**50]
    got = money(currency="GBP", locale=loc, unit="major").apply(pa.array(floats, pa.float64())).to_pylist()
    assert got == [None if x is None else ref_currency(round(x * 100), "GBP", loc) for x in floats]
    # JPY has no minor unit in CLDR: integers are yen
    jpy = money(currency="JPY", locale=loc)
    assert jpy.decimals == 0
    assert jpy.apply(pa.array([1234567, -5], pa.int64())).to_pylist() == [
        format_currency(1234567, "JPY", locale=loc),
        format_currency(-5, "JPY", locale=loc),
    ]


@pytest.mark.parametrize("loc", ["en", "de", "nl", "de_CH", "ar"])
def test_accounting_and_custom_negatives(loc):
    values = [-123456, 123456, 0, -1]
    got = money(currency="USD", locale=loc, negative="accounting").apply(pa.array(values)).to_pylist()
    assert got == [ref_currency(v, "USD", loc, format_type="accounting") for v in values]
    got = money(currency="USD", locale=loc, negative="{} CR").apply(pa.array(values)).to_pylist()
    assert got == [ref_currency(abs(v), "USD", loc) + (" CR" if v < 0 else "") for v in values]


def test_money_without_currency_and_symbol_overrides():
    values = with_nulls(random_cents(500))
    for loc in ["de", "fr", "hi_IN"]:
        got = money(locale=loc).apply(pa.array(values, pa.int64())).to_pylist()
        assert got == [ref_number(v, loc, 2, scale=2) for v in values]
    # group= replaces the locale's group sign and keeps the rest of what the locale says
    for loc in ["de_CH", "de", "en"]:
        sign = get_group_symbol(loc)
        want = ref_currency(123456789, "CHF", loc)
        got = money(currency="CHF", locale=loc, group="'").apply(pa.array([123456789])).to_pylist()
        assert got == [want.replace(sign, "'")] and got[0].count("'") == 2
        got = money(currency="EUR", locale=loc, group="").apply(pa.array([123456789])).to_pylist()
        assert got == [babel_format_currency(Decimal("1234567.89"), "EUR", locale=loc, group_separator=False)]


# ---------------------------------------------------------------- fixed locale: numbers


@pytest.mark.parametrize("loc", LOCALES)
@pytest.mark.parametrize("decimals", [0, 2, 3])
def test_number_matches_babel_decimal_pattern(loc, decimals):
    values = with_nulls(random_cents(1500, max_digits=19))
    got = number(decimals, locale=loc).apply(pa.array(values, pa.int64()))
    assert got.to_pylist() == [ref_number(v, loc, decimals) for v in values]
    u = [2**64 - 1, 0, 10**12]
    assert number(0, locale=loc).apply(pa.array(u, pa.uint64())).to_pylist() == [ref_number(v, loc, 0) for v in u]


def test_every_cldr_number_pattern_groups_like_babel():
    """All locales: grouping sizes (3/3, 3/2, 2/2, none), symbols, affixes."""
    values = [0, 7, -12, 1234, -123456, 12345678, 1234567890123, -987654321098765432]
    arr = pa.array(values, pa.int64())
    for loc in localedata.locale_identifiers()[::7]:
        assert number(1, locale=loc).apply(arr).to_pylist() == [ref_number(v, loc, 1) for v in values], loc


# ---------------------------------------------------------------- fixed locale: dates


@pytest.mark.parametrize("loc", LOCALES + ["ru", "pl", "fi", "zh_Hant_TW", "el"])
def test_standard_date_formats_match_babel(loc):
    days = with_nulls(random_dates(400))
    arr = pa.array(days, pa.date32())
    for style in ("short", "medium", "long", "full"):
        got = date(style, locale=loc).apply(arr).to_pylist()
        assert got == [None if d is None else format_date(d, style, locale=loc) for d in days], style


def test_standard_date_formats_of_all_locales():
    days = [dt.date(2026, 11, 22), dt.date(1999, 1, 3), dt.date(5, 7, 9)]
    arr = pa.array(days, pa.date32())
    for loc in localedata.locale_identifiers()[::5]:
        for style in ("short", "medium", "long", "full"):
            got = date(style, locale=loc).apply(arr).to_pylist()
            assert got == [format_date(d, style, locale=loc) for d in days], (loc, style)


@pytest.mark.parametrize("loc", ["en", "de", "fr", "de_CH", "en_US", "nl"])
@pytest.mark.parametrize("skeleton", ["yMMMd", "yMd", "MMMMy", "yMMMEd", "MMMd", "yMMM"])
def test_skeletons_match_babel_format_skeleton(loc, skeleton):
    days = random_dates(200)
    got = date(skeleton, locale=loc).apply(pa.array(days, pa.date32())).to_pylist()
    assert got == [format_skeleton(skeleton, dt.datetime.combine(d, dt.time()), locale=loc) for d in days]


@pytest.mark.parametrize("loc", ["en", "de", "fr", "nl", "ko"])
def test_timestamps_with_cldr_patterns(loc):
    secs = RNG.integers(-2_000_000_000, 4_000_000_000, 300)
    stamps = [dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(s)) for s in secs]
    arr = pa.array(stamps, pa.timestamp("us"))
    for pattern in ("d MMM y, HH:mm:ss", "EEEE h:mm a", "K:mm a, k 'Uhr' G", "D DDD yy LLLL ccc"):
        got = date(pattern, locale=loc).apply(arr).to_pylist()
        assert got == [format_datetime(s, pattern, locale=loc) for s in stamps], pattern
    for skeleton in ("Hm", "hms", "yMMMd"):
        got = date(skeleton, locale=loc).apply(arr).to_pylist()
        assert got == [format_skeleton(skeleton, s, locale=loc) for s in stamps], skeleton


@pytest.mark.parametrize("loc", ["de", "fr", "nl"])
def test_strftime_patterns_take_the_locale_names(loc):
    days = random_dates(100)
    got = date("%A, %-d. %B %Y (%a %b)", locale=loc).apply(pa.array(days)).to_pylist()
    L = Locale.parse(loc)
    want = [
        f"{L.days['format']['wide'][d.weekday()]}, {d.day}. {L.months['format']['wide'][d.month]} "
        f"{d.year:04d} ({L.days['format']['abbreviated'][d.weekday()]} "
        f"{L.months['format']['abbreviated'][d.month]})"
        for d in days
    ]
    assert got == want
    assert date("%B", names=loc).apply(pa.array([dt.date(2024, 3, 1)])).to_pylist() == [L.months["format"]["wide"][3]]
    assert DateNames.from_locale(loc).months[2] == L.months["format"]["wide"][3]


# ---------------------------------------------------------------- per-row locales


def test_mixed_languages_in_one_batch():
    n = 3000
    langs = RNG.choice(["en", "de", "fr", "de_CH", "en_US", "nl"], n).tolist()
    values = with_nulls(random_cents(n))
    for i in range(0, n, 97):
        langs[i] = None  # falls back to the format's fixed locale
    fmt = money(currency="EUR", locale="en_GB", locale_column="language")
    got = fmt.apply(pa.array(values, pa.int64()), locale=pa.array(langs))
    assert got.to_pylist() == [ref_currency(v, "EUR", lang or "en_GB") for v, lang in zip(values, langs)]
    got.validate(full=True)
    # the same as formatting each language alone
    de = [i for i, lang in enumerate(langs) if lang == "de"]
    alone = money(currency="EUR", locale="de").apply(pa.array([values[i] for i in de], pa.int64()))
    assert [got[i].as_py() for i in de] == alone.to_pylist()

    days = with_nulls(random_dates(n))
    got = date("long", locale="en", locale_column="language").apply(pa.array(days), locale=pa.array(langs))
    assert got.to_pylist() == [
        None if d is None else format_date(d, "long", locale=lang or "en") for d, lang in zip(days, langs)
    ]
    filled = [lang or "nl" for lang in langs]
    nums = number(2, locale=col("language")).apply(pa.array(values), locale=pa.array(filled, pa.large_string()))
    assert nums.to_pylist() == [ref_number(v, lang, 2) for v, lang in zip(values, filled)]


def test_per_row_inputs_chunked_dictionary_sliced_and_spellings():
    values = pa.chunked_array([[123456, None], [-5, 700]], pa.int64())
    langs = pa.chunked_array([["de", "fr"], ["de-CH", "EN"]])
    fmt = money(currency="CHF", locale_column="language")
    want = [ref_currency(123456, "CHF", "de"), None, ref_currency(-5, "CHF", "de_CH"), ref_currency(700, "CHF", "en")]
    assert fmt.apply(values, locale=langs).to_pylist() == want
    assert (
        fmt.apply(
            values.combine_chunks().dictionary_encode(), locale=langs.combine_chunks().dictionary_encode()
        ).to_pylist()
        == want
    )
    assert fmt.apply(values.combine_chunks().slice(1), locale=langs.combine_chunks().slice(1)).to_pylist() == want[1:]
    assert fmt.apply(values, locale=pa.array(["de"] * 4, pa.string_view())).to_pylist() == [
        ref_currency(v, "CHF", "de") for v in values.to_pylist()
    ]
    one = fmt.apply(pa.array([1, 2], pa.int64()), locale=pa.array(["nl", "nl"]))
    assert one.to_pylist() == [ref_currency(v, "CHF", "nl") for v in (1, 2)]
    assert fmt.apply(pa.array([], pa.int64()), locale=pa.array([], pa.string())).to_pylist() == []
    assert fmt.apply(pa.nulls(3, pa.int64()), locale=pa.array(["xx"] * 3)).to_pylist() == [None] * 3
    # text() does not depend on a locale and ignores one
    assert text().apply(pa.array(["a"]), locale=pa.array(["xx"])).to_pylist() == ["a"]


def test_unknown_and_null_locales_are_data_errors_naming_the_value():
    fmt = money(currency="EUR", locale_column="language")
    values = pa.array([1, 2, 3, None, 5, 6], pa.int64())
    with pytest.raises(DataError) as e:
        fmt.apply(values, locale=pa.array(["de", "xx_YY", "en", "xx_YY", "xx_YY", "fr"]))
    assert "'xx_YY'" in str(e.value) and "'language'" in str(e.value)
    assert e.value.record == 1 and e.value.records.tolist() == [1, 4]  # row 3 has no value to format
    with pytest.raises(DataError, match="null") as e:
        fmt.apply(values, locale=pa.array(["de", None, "en", "de", "de", "fr"]))
    assert e.value.records.tolist() == [1]
    with pytest.raises(DataError, match="''"):
        fmt.apply(values, locale=pa.array(["de", "", "en", "de", "de", "fr"]))
    # a null id uses the fixed locale when there is one
    fallback = money(currency="EUR", locale="de", locale_column="language")
    assert fallback.apply(values, locale=pa.array(["en", None, None, None, None, None])).to_pylist()[:2] == [
        ref_currency(1, "EUR", "en"),
        ref_currency(2, "EUR", "de"),
    ]
    # a value that cannot be formatted names its row in the batch, not in its locale group
    floats = pa.array([1.0, 2.0, float("inf"), 4.0])
    with pytest.raises(DataError) as e:
        money(locale_column="l", unit="major").apply(floats, locale=pa.array(["de", "en", "en", "de"]))
    assert e.value.record == 2
    with pytest.raises(TemplateError, match="locale="):
        fmt.apply(values)
    with pytest.raises(BindingError):
        fmt.apply(values, locale=pa.array([1, 2, 3, 4, 5, 6]))
    with pytest.raises(ValueError):
        fmt.apply(values, locale=pa.array(["de"]))


def test_template_errors():
    with pytest.raises(TemplateError, match="xx"):
        money(locale="xx")
    with pytest.raises(TemplateError, match="ISO 4217"):
        money(currency="€", locale="de")
    with pytest.raises(TemplateError, match="ISO 4217"):
        money(currency="EURO", locale_column="language")
    with pytest.raises(TemplateError, match="currency_after"):
        money(currency="EUR", currency_after=True, locale="de")
    with pytest.raises(TemplateError, match="locale"):
        date("long")
    with pytest.raises(TemplateError, match="names"):
        date("long", locale="de", names="en")
    with pytest.raises(TemplateError, match="'QQQ'"):
        date("QQQ y", locale="en")
    with pytest.raises(TemplateError, match="'zzzz'"):
        date("d.M.y zzzz", locale_column="language")
    with pytest.raises(TemplateError):
        number(locale=col("a") == "de")
    with pytest.raises(TemplateError):
        number(locale_column="")
    with pytest.raises(TemplateError):
        NumberFormat(negative="accounting")
    with pytest.raises(TemplateError):
        date(names="xx")


def test_reprs_and_equality_with_locales():
    assert repr(money(currency="EUR", locale="de-ch")) == "money(currency='EUR', locale='de_CH')"
    assert repr(money(currency="EUR", locale=col("language"))) == "money(currency='EUR', locale_column='language')"
    assert repr(money(2, currency="JPY", locale="ja")) == "money(2, currency='JPY', locale='ja')"
    assert repr(number(2, group="'", locale="de")) == "number(2, group=\"'\", locale='de')"
    assert repr(date("long", locale_column="lang")) == "date('long', locale_column='lang')"
    assert money(currency="EUR", locale="de") == money(currency="EUR", locale="DE")
    assert money(currency="EUR", locale="de") != money(currency="EUR", locale="fr")
    assert date("long", locale="de") == date("long", locale="de") != date("long", locale="fr")
    assert money(group=",") == money()  # without a locale "," is the default
    assert money(currency="EUR", locale="de").locale == "de" and money().locale is None


def test_locale_ids_and_lookups():
    assert locales.canonical("de-ch") == "de_CH" and locales.canonical("EN") == "en"
    assert locales.canonical("xx") is None and locales.canonical("") is None and locales.canonical(None) is None
    assert locales.date_pattern("de", "long") == Locale.parse("de").date_formats["long"].pattern
    st = locales.currency_style("de", "EUR")
    assert (st.group, st.decimal) == (get_group_symbol("de"), babel.numbers.get_decimal_symbol("de"))
    # the affixes around the number in Babel's own output
    assert (
        babel_format_currency(Decimal("1.5"), "EUR", locale="de")
        == st.pos_prefix + "1" + st.decimal + "50" + st.pos_suffix
    )
    assert locales.number_style("hi_IN").secondary == 2


# ---------------------------------------------------------------- through a document


def _doc(flow, formats):
    tpl = PageTemplate("p", Frame(mm(10), mm(10), mm(190), mm(270)), [])
    return Document(flow=flow, first=tpl, formats=formats)


def test_document_formats_each_record_in_its_language():
    doc = _doc(
        [
            Paragraph("Total {total} on {day}"),
            Table("lines", [Column("Item", "name", mm(60)), Column("Amount", "amount", mm(40), align="right")]),
        ],
        {
            "total": money(currency="EUR", locale_column="language"),
            "day": date("long", locale_column="language"),
            "lines.amount": money(currency="EUR", locale_column="language"),
        },
    )
    data = pa.table(
        {
            "language": ["en", "de", "xx", "fr_CH"],
            "total": pa.array([123456, 123456, 5, -99], pa.int64()),
            "day": pa.array([dt.date(2026, 11, 22)] * 4),
            "lines": [
                [{"name": "a", "amount": 1050}],
                [{"name": "b", "amount": 250000}, {"name": "c", "amount": 1}],
                [{"name": "d", "amount": 7}],
                [],
            ],
        }
    )
    ((dl, bound, _),) = list(layout(doc, data))
    assert dl.docs[:, 0].tolist() == [0, 1, 3]
    assert {(r.record, r.field) for r in bound.rejections} == {(2, "total"), (2, "day"), (2, "lines.amount")}
    assert all("'xx'" in r.reason for r in bound.rejections)
    texts = [" | ".join(dl.page_text(p)) for p in range(dl.page_count)]
    day = dt.date(2026, 11, 22)
    for page, lang, amounts in [(0, "en", [1050]), (1, "de", [250000, 1]), (2, "fr_CH", [])]:
        total = data["total"][dl.docs[page, 0]].as_py()
        assert f"Total {ref_currency(total, 'EUR', lang)} on {format_date(day, 'long', locale=lang)}" in texts[page]
        assert all(ref_currency(a, "EUR", lang) in texts[page] for a in amounts)
    assert ref_currency(123456, "EUR", "en") != ref_currency(123456, "EUR", "de")


def test_document_checks_the_locale_column():
    doc = _doc([Paragraph("{total}")], {"total": money(currency="EUR", locale_column="lang")})
    with pytest.raises(BindingError) as e:
        list(layout(doc, pa.table({"total": [1]})))
    assert e.value.column == "lang"
    with pytest.raises(BindingError, match="not a string column") as e:
        list(layout(doc, pa.table({"total": [1], "lang": [1]})))
    assert e.value.column == "lang"
    # large and dictionary string columns are fine
    ((dl, _, _),) = list(layout(doc, pa.table({"total": [1], "lang": pa.array(["de"]).dictionary_encode()})))
    assert dl.page_text(0) == [ref_currency(1, "EUR", "de")]


def test_many_locales_and_nan_groups():
    """More distinct ids than the C scan keeps (Arrow hashes them); a group that is all NaN."""
    ids = [loc for loc in localedata.locale_identifiers() if "@" not in loc][:400]
    langs = [ids[i % len(ids)] for i in range(1200)]
    values = random_cents(1200)
    got = money(currency="EUR", locale_column="lang").apply(pa.array(values), locale=pa.array(langs))
    assert got.to_pylist() == [ref_currency(v, "EUR", lang) for v, lang in zip(values, langs)]
    f = money(currency="EUR", locale_column="l", unit="major")
    out = f.apply(
        pa.array([float("nan"), 1.5, float("nan"), None, 2.0]), locale=pa.array(["de", "en", "de", "xx", "en"])
    )
    assert out.to_pylist() == [None, ref_currency(150, "EUR", "en"), None, None, ref_currency(200, "EUR", "en")]
