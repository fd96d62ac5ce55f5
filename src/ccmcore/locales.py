"""Locale data for the field formats: CLDR through Babel, looked up once per locale.

:mod:`ccmcore.formats` asks this module for what a locale says — group and decimal
symbols, number and currency patterns, currency symbols, month/day/period/era names,
date patterns — and turns the answers into the settings of its C kernels. Babel is slow
per call, so every lookup here is cached per locale (keyed by canonical ids, so bounded
by the locales CLDR has; the cache of raw ids seen in data is bounded too).

Locale ids are Babel/CLDR ids: ``"en"``, ``"de"``, ``"fr_CH"``; BCP 47 spellings and
any case are accepted too (``"de-CH"``, ``"EN"``, ``"en-gb"``). :func:`canonical`
normalises them (``"de-CH"`` → ``"de_CH"``).

The data is whatever CLDR release the installed Babel ships: ccmcore holds no locale data
of its own, so a Babel upgrade changes ccmcore's output exactly where CLDR changed.

Babel renders numbers in Latin digits (its default numbering system) and so does ccmcore.
Where Babel and CLDR proper differ (Babel writes the pattern's ``-`` as an ASCII hyphen,
even where CLDR's minus sign is U+2212, and does not apply CLDR's currency spacing),
ccmcore follows Babel, so that its output matches ``babel.numbers.format_currency``.

One exception, where Babel contradicts its own CLDR data: **a group sign that is an
apostrophe**. A CLDR release after 47 (Babel 2.18 ships 47, Babel 2.19 ships 49) changed
the Swiss and Liechtenstein locales (``de_CH``, ``de_LI``, ``gsw``, ``fr_CH``, ``it_CH``,
``en_CH`` and their relatives) from ``’`` (U+2019) to ``'`` (U+0027). Babel's
``NumberPattern.apply`` removes the pattern's quoting (``'x'`` → ``x``) from the whole
formatted string, digits included, after it has grouped them, so every second apostrophe
group sign is taken for a quote: Babel 2.19 writes ``format_currency(64586186.28, "EUR",
locale="de_CH")`` as ``"EUR 64586186.28"`` and ``1234567890`` as ``"1234567'890"``:
wrong grouping that reads as another number. ccmcore follows CLDR here: the pattern's
quoting is removed from the affixes only, and the digits are grouped with the locale's
group sign as the pattern says (``"EUR 64'586'186.28"``). Everywhere else ccmcore equals
Babel.

Example (CLDR data that has not changed in many releases):

>>> from ccmcore import locales
>>> locales.canonical("de-ch")
'de_CH'
>>> locales.currency_style("de", "EUR").pos_suffix
'\\xa0€'
>>> locales.date_pattern("de", "long")
'd. MMMM y'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .errors import TemplateError

__all__ = [
    "NumberStyle",
    "canonical",
    "require",
    "number_style",
    "currency_style",
    "currency_digits",
    "check_currency",
    "date_pattern",
    "tokenize",
    "month_names",
    "day_names",
    "period_names",
    "era_names",
    "STANDARD_DATE_FORMATS",
]

#: The CLDR standard date format names accepted by ``date(name, locale=...)``.
STANDARD_DATE_FORMATS = ("short", "medium", "long", "full")

_NO_GROUPING = 1000  # Babel's group size for patterns without a group separator


def _babel():
    try:
        import babel  # noqa: F401
        import babel.dates
        import babel.numbers
    except ImportError as e:  # pragma: no cover - babel is a dependency
        raise TemplateError("locale formatting needs Babel: pip install babel") from e
    return babel


@dataclass(frozen=True)
class NumberStyle:
    """How one locale writes a number or an amount (one CLDR number pattern, resolved).

    Attributes:
        group: the group (thousands) separator; ``""`` when the pattern does not group.
        decimal: the decimal separator.
        primary: digits in the group next to the decimal separator (3; 3 in ``hi``).
        secondary: digits in the other groups (3; 2 in ``hi``: ``12,34,567``).
        pos_prefix, pos_suffix: text before and after a positive amount (currency
            symbols already filled in, pattern quotes removed).
        neg_prefix, neg_suffix: the same for a negative amount (the minus sign included).
    """

    group: str
    decimal: str
    primary: int
    secondary: int
    pos_prefix: str
    pos_suffix: str
    neg_prefix: str
    neg_suffix: str


def _norm(value: str) -> str:
    return value.strip().replace("-", "_")


@functools.lru_cache(maxsize=4096)  # keyed by data values: bounded
def canonical(locale: str) -> str | None:
    """The canonical Babel id of ``locale`` (``"de-CH"`` → ``"de_CH"``), or None if unknown.

    Unknown means: empty, malformed, or a language/territory combination CLDR has no data
    for (``"xx"``, ``"de_XX"``).
    """
    if not isinstance(locale, str) or not locale.strip():
        return None
    babel = _babel()
    try:
        return str(babel.Locale.parse(_norm(locale)))
    except (ValueError, TypeError, babel.UnknownLocaleError):
        return None


def require(locale: str, where: str = "locale") -> str:
    """:func:`canonical`, raising for an unknown locale.

    Raises:
        TemplateError: ``locale`` is not a str or not a locale CLDR knows.
    """
    if not isinstance(locale, str):
        raise TemplateError(f"{where} must be a locale id such as 'en' or 'de_CH', got {type(locale).__name__}")
    name = canonical(locale)
    if name is None:
        raise TemplateError(f"{where}: unknown locale {locale!r} (expected an id such as 'en', 'de' or 'fr_CH')")
    return name


@functools.cache
def _locale(name: str):
    return _babel().Locale.parse(name)


@functools.lru_cache(maxsize=1024)
def check_currency(code: str) -> str:
    """``code`` if it is an ISO 4217 currency code CLDR knows (``"EUR"``).

    Raises:
        TemplateError: an unknown code.
    """
    babel = _babel()
    if isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code):
        try:
            babel.numbers.validate_currency(code)
            return code
        except babel.numbers.UnknownCurrencyError:
            pass
    raise TemplateError(f"with a locale, currency must be an ISO 4217 code such as 'EUR', got {code!r}")


@functools.cache
def currency_digits(code: str) -> int:
    """The number of minor-unit digits of a currency (CLDR): EUR 2, JPY 0, BHD 3."""
    return int(_babel().numbers.get_currency_precision(check_currency(code)))


_QUOTED = re.compile(r"'([^']*)'")


def _unquote(text: str) -> str:
    # as Babel does after filling in the currency: 'x' -> x, '' -> '
    return _QUOTED.sub(lambda m: m.group(1) or "'", text)


def _style(name: str, pattern_text: str, currency: str | None) -> NumberStyle:
    babel = _babel()
    loc = _locale(name)
    pattern = babel.numbers.parse_pattern(pattern_text)
    if pattern.scale or pattern.exp_prec or "@" in pattern.pattern:
        raise TemplateError(f"locale {name}: number pattern {pattern_text!r} is not supported")

    def fill(text: str) -> str:
        if currency is not None and "¤" in text:
            if "¤¤¤" in text:
                raise TemplateError(f"locale {name}: currency names in patterns are not supported")
            text = text.replace("¤¤", currency)
            text = text.replace("¤", babel.numbers.get_currency_symbol(currency, loc))
        return _unquote(text)

    primary, secondary = pattern.grouping
    grouped = primary < _NO_GROUPING
    return NumberStyle(
        group=babel.numbers.get_group_symbol(loc) if grouped else "",
        decimal=babel.numbers.get_decimal_symbol(loc),
        primary=primary if grouped else 3,
        secondary=secondary if grouped else 3,
        pos_prefix=fill(pattern.prefix[0]),
        pos_suffix=fill(pattern.suffix[0]),
        neg_prefix=fill(pattern.prefix[1]),
        neg_suffix=fill(pattern.suffix[1]),
    )


@functools.cache
def number_style(locale: str) -> NumberStyle:
    """The locale's decimal pattern, resolved (as ``babel.numbers.format_decimal`` uses it).

    Raises:
        TemplateError: unknown locale.
    """
    name = require(locale)
    return _style(name, _locale(name).decimal_formats[None].pattern, None)


@functools.cache
def currency_style(locale: str, currency: str, accounting: bool = False) -> NumberStyle:
    """The locale's currency pattern (``"standard"`` or ``"accounting"``) with ``currency``'s
    symbol filled in, as ``babel.numbers.format_currency`` uses it.

    Raises:
        TemplateError: unknown locale or currency code.
    """
    name = require(locale)
    check_currency(currency)
    formats = _locale(name).currency_formats
    kind = "accounting" if accounting and "accounting" in formats else "standard"
    return _style(name, formats[kind].pattern, currency)


# ---------------------------------------------------------------- dates


@functools.cache
def date_pattern(locale: str, spec: str) -> str:
    """The CLDR date pattern for ``spec`` in ``locale``.

    ``spec`` is a standard format name (``"short"``, ``"medium"``, ``"long"``,
    ``"full"``), a CLDR skeleton made of pattern letters only (``"yMMMd"``, ``"yMd"``,
    ``"MMMMy"``; matched to the locale's closest available format the way
    ``babel.dates.format_skeleton`` does), or else a CLDR pattern used as it is
    (``"d. MMMM y"``, ``"dd.MM.y"``).

    Raises:
        TemplateError: unknown locale, or a skeleton the locale has no format for.
    """
    babel = _babel()
    name = require(locale)
    loc = _locale(name)
    if spec in STANDARD_DATE_FORMATS:
        return loc.date_formats[spec].pattern
    if spec.isascii() and spec.isalpha():
        skeletons = loc.datetime_skeletons
        key = spec if spec in skeletons else babel.dates.match_skeleton(spec, skeletons)
        if key is None:
            raise TemplateError(f"locale {name}: no date format matches the skeleton {spec!r}")
        return skeletons[key].pattern
    return spec


def tokenize(pattern: str) -> list:
    """A CLDR date pattern as Babel reads it: ``[("chars", text) | ("field", (letter, count))]``."""
    return _babel().dates.tokenize_pattern(pattern)


@functools.cache
def month_names(locale: str, width: str = "wide", context: str = "format") -> tuple[str, ...]:
    """12 month names, January first; ``width`` abbreviated/wide/narrow,
    ``context`` format/stand-alone."""
    names = _babel().dates.get_month_names(width, context, _locale(require(locale)))
    return tuple(names[m] for m in range(1, 13))


@functools.cache
def day_names(locale: str, width: str = "wide", context: str = "format") -> tuple[str, ...]:
    """7 weekday names, Monday first; ``width`` abbreviated/wide/narrow/short."""
    names = _babel().dates.get_day_names(width, context, _locale(require(locale)))
    return tuple(names[d] for d in range(7))


@functools.cache
def period_names(locale: str, width: str = "abbreviated") -> tuple[str, str]:
    """The AM and PM names (Babel's fallback order when a width is missing)."""
    babel = _babel()
    loc = _locale(require(locale))
    out = []
    for period in ("am", "pm"):
        for w in (width, "wide", "narrow", "abbreviated"):
            names = babel.dates.get_period_names(context="format", width=w, locale=loc)
            if period in names:
                out.append(names[period])
                break
        else:
            raise TemplateError(f"locale {loc}: no name for {period!r}")
    return out[0], out[1]


@functools.cache
def era_names(locale: str, width: str = "abbreviated") -> tuple[str, str]:
    """The era names (before year 0, from year 0 on: "BC", "AD")."""
    names = _babel().dates.get_era_names(width, _locale(require(locale)))
    return names[0], names[1]
