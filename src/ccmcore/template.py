"""The document definition: styles, page templates, fixed and flowing content.

A :class:`Document` says what every document of a job looks like; the data says what is
in each. Texts hold fields in braces (``"Dear {name},"``), formatted by the document's
``formats`` (per column) or by their type's default; ``{page}`` and ``{pages}`` in a
page template's text are the page number and page count within the document.

Every length, font sizes and spacing included, is a number in points or a string with its
unit (``"20mm"``, ``"10pt"``, ``"1in"``; :func:`ccmcore.mm` and friends convert to points):
``Frame(mm(20), "20mm", 481.9, "170mm")``. Lengths are checked when an element is made and
kept in points, so a mistake names its element and field at the line that made it; an
unknown argument name or ``align`` value gets the close name suggested.
"""

from __future__ import annotations

import functools
import inspect
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import formats as _formats
from .errors import TemplateError, did_you_mean
from .fonts import FontFamily
from .rules import Rule
from .units import A4, mm, points

__all__ = [
    "Style",
    "Paragraph",
    "Span",
    "Spacer",
    "Table",
    "Column",
    "When",
    "Text",
    "Rect",
    "Line",
    "Picture",
    "Barcode",
    "Overlay",
    "Message",
    "Slot",
    "Frame",
    "PageTemplate",
    "Document",
]

_ALIGNS = ("left", "right", "center", "justify")
_ALIGN_SPELLINGS = {"centre": "center", "centered": "center", "centred": "center", "middle": "center"}


def _friendly(cls):
    """Wrong arguments to an element are a TemplateError naming the element and, for an
    unknown keyword, the close name (``Style(sise=9)``: did you mean 'size'?), not a
    TypeError about ``__init__``. Costs nothing when the arguments are right: the
    signature is only looked at when the call fails."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except TypeError as exc:
            sig = inspect.signature(init)
            try:
                sig.bind(self, *args, **kwargs)
            except TypeError:
                params = [n for n in sig.parameters if n != "self"]
                unknown = [k for k in kwargs if k not in params]
                if unknown:
                    raise TemplateError(
                        f"{cls.__name__}: no argument {unknown[0]!r}{did_you_mean(unknown[0], params)} "
                        f"({cls.__name__} takes {', '.join(params)})"
                    ) from None
                why = str(exc).split("__init__() ", 1)[-1]  # "missing 1 required positional argument: ..."
                raise TemplateError(f"{cls.__name__}({', '.join(params)}): {why}") from None
            raise  # the arguments fit: a TypeError of another kind

    cls.__init__ = __init__
    return cls


def _align(obj, label: str, allowed=_ALIGNS) -> None:
    """``align`` is one of ``allowed``; the British 'centre' is read as 'center'."""
    a = obj.align
    if isinstance(a, str) and a.lower() in _ALIGN_SPELLINGS:
        a = _ALIGN_SPELLINGS[a.lower()]
    elif isinstance(a, str):
        a = a.lower()
    if a not in allowed:
        hint = did_you_mean(str(a), allowed)
        raise TemplateError(f"{label}: align must be one of {', '.join(allowed)}, not {obj.align!r}{hint}")
    object.__setattr__(obj, "align", a)


def _lengths(obj, label: str, *names: str, signed=(), optional=(), positive=()) -> None:
    """Each named field of ``obj`` converted to points (see :func:`ccmcore.units.points`).

    Negative values are refused except for ``signed`` fields (positions), which the
    compiler checks against the page; ``positive`` ones must be above zero; None is kept
    for ``optional`` ones."""
    for name in names:
        v = getattr(obj, name)
        if v is None and name in optional:
            continue
        p = points(v, f"{label}: {name}")
        if name in positive and not p > 0:
            raise TemplateError(f"{label}: {name} must be positive, not {v!r}")
        if p < 0 and name not in signed:
            raise TemplateError(f"{label}: {name} cannot be negative ({v!r})")
        object.__setattr__(obj, name, p)


def _kind(types) -> str:
    names = [t.__name__ for t in types]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _check(obj, label: str, name: str, types, optional: bool = False) -> None:
    """Field ``name`` of ``obj`` is one of ``types`` (None allowed when optional)."""
    v = getattr(obj, name)
    if v is None and optional:
        return
    if isinstance(v, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(v, types)
    if not ok:
        raise TemplateError(f"{label}: {name} must be {_kind(types)}, not {v!r}")


def _elements(obj, label: str, name: str, types, what: str = "") -> None:
    """Field ``name`` is a list of ``types`` (``what`` names them in messages); a single
    element is taken as a list of one."""
    what = what or _kind(types)
    v = getattr(obj, name)
    if isinstance(v, types):
        v = [v]
    elif isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
        raise TemplateError(f"{label}: {name} must be a list of {what}, not {v!r}")
    for item in v:
        if not isinstance(item, types):
            raise TemplateError(f"{label}: {name} holds {item!r}, not one of {what}")
    object.__setattr__(obj, name, list(v))


def _content(obj, label: str, name: str) -> None:
    """Field ``name`` is a list of template elements (one element is a list of one); which
    kinds belong where is checked when the document is compiled."""
    _elements(obj, label, name, (_Element,), "elements (Paragraph, Table, Text, Rect...)")


def _names(obj, label: str, name: str) -> None:
    """Field ``name`` is a list of column names; one name is taken as a list of one."""
    v = getattr(obj, name)
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, Sequence) or not all(isinstance(c, str) and c for c in v):
        raise TemplateError(f"{label}: {name} must be a list of column names, not {v!r}")
    object.__setattr__(obj, name, list(v))


def _texts(obj, label: str, name: str) -> None:
    """Field ``name`` is a dict of column (or attribute) name -> text."""
    v = getattr(obj, name)
    if not isinstance(v, dict) or not all(isinstance(k, str) and k and isinstance(t, str) for k, t in v.items()):
        raise TemplateError(f"{label}: {name} must be a dict of names to texts, not {v!r}")


def _size(obj, label: str, name: str) -> None:
    """A (width, height) pair of positive lengths, kept in points (None stays None)."""
    v = getattr(obj, name)
    if v is None:
        return
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise TemplateError(f"{label}: {name} must be (width, height), not {v!r}")
    w, h = (points(x, f"{label}: {name}") for x in v)
    if not (w > 0 and h > 0):
        raise TemplateError(f"{label}: {name} must be positive, not {v!r}")
    object.__setattr__(obj, name, (w, h))


def _check_format(value, where: str) -> None:
    """A format is a made format (``money()``), not the function that makes one."""
    if value is None or isinstance(value, _formats.Format):
        return
    if value in (_formats.money, _formats.number, _formats.date, _formats.text):
        raise TemplateError(
            f"{where}: {value.__name__} is the function that makes a format: call it, {value.__name__}()"
        )
    raise TemplateError(f"{where}: {value!r} is not a format (use money(), number(), date() or text())")


def _color(c, where: str = "") -> int:
    """'#rrggbb', (r, g, b) in 0..255, or an int 0xRRGGBB; None means none (-1)."""
    if c is None:
        return -1
    if isinstance(c, int) and not isinstance(c, bool):
        if not 0 <= c <= 0xFFFFFF:
            raise TemplateError(f"{where + ': ' if where else ''}colour {c:#x} is out of range 0..0xFFFFFF")
        return c
    if isinstance(c, str) and c.startswith("#") and len(c) in (4, 7):
        h = c[1:]
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        try:
            return int(h, 16)
        except ValueError:
            pass
    elif isinstance(c, (tuple, list)) and len(c) == 3 and all(0 <= v <= 255 for v in c):
        return (int(c[0]) << 16) | (int(c[1]) << 8) | int(c[2])
    raise TemplateError(f"{where + ': ' if where else ''}not a colour: {c!r} (use '#rrggbb', (r, g, b) or 0xRRGGBB)")


@_friendly
@dataclass(frozen=True)
class Style:
    """How text looks.

    Args:
        size: font size (a length: points, or "12pt").
        bold, italic: which face of the family.
        leading: baseline-to-baseline distance (default 1.2 × size).
        color: '#rrggbb', (r, g, b) or 0xRRGGBB.
        align: 'left', 'right', 'center' (or 'centre') or 'justify'.
        space_before, space_after: vertical space around a paragraph (lengths).
        family: a :class:`FontFamily`; None uses the document's.
        widows, orphans: lines a paragraph keeps at least at the top of the next page /
            the bottom of the page when it breaks across pages.
        hyphenate: a language ("en", "de", "fr", ...) to hyphenate paragraphs in, by the
            pyphen package's patterns; None: no hyphenation.
    """

    size: float = 10.0
    bold: bool = False
    italic: bool = False
    leading: float | None = None
    color: object = "#000000"
    align: str = "left"
    space_before: float = 0.0
    space_after: float = 0.0
    family: FontFamily | None = None
    widows: int = 2
    orphans: int = 2
    hyphenate: str | None = None

    def __post_init__(self):
        for name in ("bold", "italic"):
            _check(self, "Style", name, (bool,))
        for name in ("widows", "orphans"):
            _check(self, "Style", name, (int,))
        _check(self, "Style", "hyphenate", (str,), optional=True)
        if self.widows < 1 or self.orphans < 1:
            raise TemplateError("Style: widows and orphans must be at least 1")
        _align(self, "Style")
        _lengths(
            self,
            "Style",
            "size",
            "leading",
            "space_before",
            "space_after",
            optional=("leading",),
            positive=("size", "leading"),
        )
        _color(self.color, "Style: color")
        if self.family is not None and not isinstance(self.family, FontFamily):
            raise TemplateError(f"Style: family must be a FontFamily, not {self.family!r}")

    def but(self, **changes) -> Style:
        """A copy with some attributes changed: ``body.but(bold=True, size=12)``."""
        return replace(self, **changes)


# ---------------------------------------------------------------------- text templates


@dataclass(frozen=True)
class _Part:
    literal: str = ""
    field: str | None = None


def parse_text(text: str, where: str) -> list[_Part]:
    """Split "Dear {name}," into literal and field parts ("{{" and "}}" escape braces)."""
    parts: list[_Part] = []
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"{where}: bad field syntax in {text!r}: {exc}") from exc
    for literal, fld, spec, conv in pieces:
        if literal:
            parts.append(_Part(literal=literal))
        if fld is not None:
            if not fld or spec or conv:
                raise TemplateError(
                    f"{where}: field {{{fld}{':' + spec if spec else ''}}} in {text!r}: write a plain "
                    "column name and give its format in Document(formats=...)"
                )
            parts.append(_Part(field=fld))
    return parts


# ---------------------------------------------------------------------- flowing content


class _Element:
    name: str | None

    def label(self) -> str:
        return f"{type(self).__name__} {self.name!r}" if self.name else type(self).__name__


@_friendly
@dataclass
class Span:
    """A piece of a paragraph in another weight, style, size or colour.

    Args:
        text: the text, with {fields}.
        style: a whole :class:`Style` for the span (its size, face, colour), or None to take
            the paragraph's with the changes below.
        bold, italic, color, size: changes to the paragraph's style.
    """

    text: str
    style: Style | None = None
    bold: bool | None = None
    italic: bool | None = None
    color: object = None
    size: float | None = None

    def __post_init__(self):
        _check(self, "Span", "text", (str,))
        _check(self, "Span", "style", (Style,), optional=True)
        _lengths(self, "Span", "size", optional=("size",), positive=("size",))
        _color(self.color, "Span: color")

    def resolve(self, base: Style) -> Style:
        st = self.style or base
        changes = {
            k: v
            for k, v in (("bold", self.bold), ("italic", self.italic), ("color", self.color), ("size", self.size))
            if v is not None
        }
        return st.but(**changes) if changes else st


def parse_markup(text: str) -> list[Span]:
    """'Your balance is **{balance}**, *thank you*' -> spans: ** bold, * italic; \\* a star."""
    spans: list[Span] = []
    buf: list[str] = []
    bold = italic = False
    i = 0

    def flush():
        if buf:
            spans.append(Span("".join(buf), bold=bold or None, italic=italic or None))
            buf.clear()

    while i < len(text):
        if text.startswith("\\*", i):
            buf.append("*")
            i += 2
        elif text.startswith("**", i):
            flush()
            bold = not bold
            i += 2
        elif text[i] == "*":
            flush()
            italic = not italic
            i += 1
        else:
            buf.append(text[i])
            i += 1
    if bold or italic:
        raise TemplateError(f"unclosed {'**' if bold else '*'} in markup {text!r}")
    flush()
    return spans


#: the structure roles a text element can take in a tagged PDF
ROLES = ("P", "H1", "H2", "H3", "H4", "H5", "H6", "artifact")


def _role(el, label: str) -> None:
    if el.role not in ROLES:
        raise TemplateError(f"{label}: role {el.role!r} is not one of {', '.join(ROLES)}")


@_friendly
@dataclass
class Paragraph(_Element):
    """Flowing text that wraps to the frame width and breaks across pages.

    Args:
        text: the text, with {fields}; "\\n" forces a line break. Rich text: a list of
            strings and :class:`Span` objects, or markup with ``markup=True``.
        style: a :class:`Style` (None: the document's body style).
        name: a name for messages and reports.
        markup: read ``**bold**`` and ``*italic*`` in text.
        keep_with_next: keep it on the page of the first line of what follows (headings).
        bullet: a bullet (e.g. "•") hanging in the left indent of the first line.
        indent: left indent of every line (length); a bullet needs one.
        role: what it is in a tagged PDF's structure (PDF/UA): "P" (a paragraph, the
            default), "H1" to "H6" (a heading of that level), or "artifact" (decoration
            a screen reader skips).
    """

    text: str | Sequence[str | Span]
    style: Style | None = None
    name: str | None = None
    markup: bool = False
    keep_with_next: bool = False
    bullet: str | None = None
    indent: object = 0
    role: str = "P"

    def __post_init__(self):
        label = self.label()
        _role(self, label)
        if not isinstance(self.text, str):
            _elements(self, label, "text", (str, Span))
        _check(self, label, "style", (Style,), optional=True)
        _check(self, label, "bullet", (str,), optional=True)
        _lengths(self, label, "indent")


@_friendly
@dataclass
class Message(_Element):
    """A marketing or service message (TransPromo): shown to the documents its rule selects,
    highest priority first, in a slot, when it fits; a message that does not fit is left
    out (never adds a page). Which messages each document got is in the job report.

    Args:
        name: the message's name (in the report).
        content: flowing content (:class:`Paragraph`, :class:`Picture`, :class:`Spacer`).
        rule: a :class:`ccmcore.rules.Rule` (None: every document).
        priority: higher first.
        slot: the name of a :class:`Slot`, or "last page" for the free space after the
            flow on each document's last page.
    """

    name: str
    content: Sequence = ()
    rule: Rule | None = None
    priority: int = 0
    slot: str = "last page"

    def __post_init__(self):
        label = f"Message {self.name!r}"
        _check(self, label, "name", (str,))
        _content(self, label, "content")
        _check(self, label, "rule", (Rule,), optional=True)
        _check(self, label, "priority", (int,))
        _check(self, label, "slot", (str,))


@_friendly
@dataclass
class Slot:
    """A named area on each document's first page that messages fill.

    Args:
        name: the name messages refer to.
        x, y, width, height: the area.
        max_messages: at most this many messages in it.
    """

    name: str
    x: object
    y: object
    width: object
    height: object
    max_messages: int = 1

    def __post_init__(self):
        _lengths(
            self, f"Slot {self.name!r}", "x", "y", "width", "height", signed=("x", "y"), positive=("width", "height")
        )


@_friendly
@dataclass
class Spacer(_Element):
    """Vertical space in the flow (dropped at the top of a page)."""

    height: object
    name: str | None = None

    def __post_init__(self):
        _lengths(self, self.label(), "height")


@_friendly
@dataclass
class Column:
    """A table column bound to a field of the table's list items.

    Args:
        header: header text (static).
        field: the item field shown in the column's cells (None: an empty column).
        width: column width (length).
        align: 'left', 'right' or 'center'.
        format: a format from :mod:`ccmcore.formats` (None: the document's format for
            ``"<list column>.<field>"`` or the type's default).
    """

    header: str
    field: str | None
    width: object
    align: str = "left"
    format: object = None

    def __post_init__(self):
        label = f"Column {self.header!r}"
        _check(self, label, "header", (str,))
        _check(self, label, "field", (str,), optional=True)
        _align(self, label)
        _lengths(self, label, "width", positive=("width",))
        _check_format(self.format, f"{label}: format")


@_friendly
@dataclass
class Table(_Element):
    """A table over a list<struct> column: one row per list item.

    The header repeats on every page the table continues on; rows move whole to the next
    page (a row taller than a page is split between its lines).

    Args:
        source: the list<struct> column holding the rows.
        columns: the :class:`Column` definitions.
        style: body cell style; header_style / total_style default to it in bold.
        total: texts of a closing total row per column (same length as columns; "" for
            none), with document-level {fields}; None for no total row.
        header_rule, total_rule: line widths under the header / above the total (0: none).
        rule_color: colour of those rules.
        padding_x, padding_y: cell padding (lengths).
        repeat_header: repeat the header on continuation pages.
        space_before, space_after: in points.
        stripe: fill colour of every second body row (None: no striping).
        borders: width of cell borders around body rows (0: none); border_color their colour.
        group_by: an item field; a group header row starts each run of equal values.
        group_header: text of that row, with item {fields} (None: the group_by value).
        group_style: style of group header rows (default: body style in bold).
        group_continued: text of a row opening each page a group continues on (under the
            repeated header), with item {fields} of the group's first item, e.g.
            ``"Account {account_no} (continued)"`` (None: none; needs group_by).
        group_footer: label of a subtotal row closing each group, with the group's sum of
            the carry field (None: no subtotal rows; needs carry). A subtotal row is never
            alone on a page: it keeps with its group's last two rows (``widows`` rows when
            that is more), or the whole group when the group is shorter.
        carry: an integer item field (minor units, e.g. amount_cents) summed down the
            table: when the table breaks across pages, a "carried forward" row with the
            running sum closes the page and a "brought forward" row opens the next.
        carry_column: the column index the sum is shown in (default: the column showing
            the carry field, else the last); the labels go in the first column.
        carried_label, brought_label: the labels of those rows.
        carry_per_group: the carried sums belong to the group being continued (as a bank
            statement carries each account's own sum): the running sum restarts at each
            group, the carried / brought forward rows show the group's sum so far, and a
            page break between two groups has none (needs group_by and carry).
        page_subtotal: label of a row above "carried forward" with the sum of the rows on
            that page (None: none; needs carry).
        keep_together: an item field; consecutive rows with equal values stay on one page
            when they fit on one.
        orphans: at least this many body rows before a page break (else the table starts
            on the next page); widows: at least this many after one.
    """

    source: str
    columns: Sequence[Column]
    style: Style | None = None
    header_style: Style | None = None
    total: Sequence[str] | None = None
    total_style: Style | None = None
    header_rule: object = 0.5
    total_rule: object = 0.5
    rule_color: object = "#000000"
    padding_x: object = 2.0
    padding_y: object = 1.0
    repeat_header: bool = True
    space_before: float = 0.0
    space_after: float = 0.0
    stripe: object = None
    borders: object = 0
    border_color: object = "#000000"
    group_by: str | None = None
    group_header: str | None = None
    group_style: Style | None = None
    group_continued: str | None = None
    group_footer: str | None = None
    carry: str | None = None
    carry_column: int | None = None
    carried_label: str = "Carried forward"
    brought_label: str = "Brought forward"
    carry_per_group: bool = False
    page_subtotal: str | None = None
    keep_together: str | None = None
    orphans: int = 1
    widows: int = 1
    name: str | None = None

    def label(self) -> str:
        return f"Table {self.name!r}" if self.name else f"Table over {self.source!r}"

    def __post_init__(self):
        label = self.label()
        _check(self, label, "source", (str,))
        _elements(self, label, "columns", (Column,))
        for name in ("style", "header_style", "total_style", "group_style"):
            _check(self, label, name, (Style,), optional=True)
        for name in (
            "group_by",
            "group_header",
            "group_continued",
            "group_footer",
            "carry",
            "page_subtotal",
            "keep_together",
        ):
            _check(self, label, name, (str,), optional=True)
        _check(self, label, "carry_per_group", (bool,))
        if self.total is not None:
            _elements(self, label, "total", (str,))
        _lengths(self, label, "header_rule", "total_rule", "padding_x", "padding_y", "space_before", "space_after")
        _lengths(self, label, "borders")
        for name in ("rule_color", "stripe", "border_color"):
            _color(getattr(self, name), f"{label}: {name}")
        if self.orphans < 1 or self.widows < 1:
            raise TemplateError(f"table over {self.source!r}: orphans and widows must be at least 1")
        if not self.columns:
            raise TemplateError(f"table over {self.source!r} has no columns")
        if self.total is not None and len(self.total) != len(self.columns):
            raise TemplateError(
                f"table over {self.source!r}: total has {len(self.total)} cells for {len(self.columns)} columns"
            )


@dataclass
class When(_Element):
    """Content shown only for the documents where a rule holds.

    Args:
        rule: a :class:`ccmcore.rules.Rule` (``col("segment") == "premium"``).
        content: the elements (flowing content, or fixed content inside a page template).
    """

    rule: Rule
    content: Sequence = ()
    name: str | None = None

    def __init__(self, rule: Rule, *content, name: str | None = None):
        if not isinstance(rule, Rule):
            raise TemplateError(f"When needs a rule built with col(...), not {rule!r}")
        self.rule = rule
        self.content = [c for group in content for c in (group if isinstance(group, (list, tuple)) else [group])]
        self.name = name


# ---------------------------------------------------------------------- fixed content


@_friendly
@dataclass
class Text(_Element):
    """Text in a box at a fixed position on a page template (x, y: the box's top-left
    corner, the top of its first line).

    A text never runs out of its box: one that needs more lines than the box holds (a
    10,000-character name in the address window) follows ``overflow``:

    - ``"reject"`` (the default): the record is left out, its rejection names the element,
      its fields and the lines it needed;
    - ``"cut"``: the lines that fit are shown, the last one ending in "…", and the record
      gets a warning;
    - ``"shrink"``: the type is set smaller, half a point at a time down to ``min_size``,
      until the text fits (a warning gives the size); if it fits at no size, the record is
      rejected.

    Args:
        text: the text, with {fields}, {page}, {pages}; "\\n" forces a line break.
        x, y: position of the box's top-left corner.
        width: wrapping width (None: up to the right edge of the page).
        style: a :class:`Style`.
        name: a name for messages and reports.
        height: the box's height (None: down to the page's bottom edge, or to the top of
            the body frame when the text stands above the frame and beside it, so a fixed
            text never runs into the flowing content).
        overflow: "reject", "cut" or "shrink" (see above).
        min_size: the smallest size "shrink" may use (default 60 % of the style's size).
        role: what it is in a tagged PDF's structure (PDF/UA): "P", "H1" to "H6", or
            "artifact"; None (the default): "artifact" for a text showing {page} or
            {pages} (a running header or footer), else "P".
    """

    text: str
    x: object
    y: object
    width: object = None
    style: Style | None = None
    name: str | None = None
    height: object = None
    overflow: str = "reject"
    min_size: object = None
    role: str | None = None

    def __post_init__(self):
        label = self.label()
        if self.role is not None:
            _role(self, label)
        _lengths(
            self,
            label,
            *("x", "y", "width", "height", "min_size"),
            signed=("x", "y"),
            optional=("width", "height", "min_size"),
            positive=("width", "height", "min_size"),
        )
        _check(self, label, "text", (str,))
        _check(self, label, "style", (Style,), optional=True)
        rules = ("reject", "cut", "shrink")
        if self.overflow not in rules:
            hint = did_you_mean(str(self.overflow), rules)
            raise TemplateError(f"{label}: overflow must be one of {', '.join(rules)}, not {self.overflow!r}{hint}")


@_friendly
@dataclass
class Rect(_Element):
    """A rectangle at a fixed position: filled, stroked or both."""

    x: object
    y: object
    width: object
    height: object
    fill: object = None
    stroke: object = "#000000"
    line_width: object = 0.5
    name: str | None = None

    def __post_init__(self):
        label = self.label()
        _lengths(self, label, "x", "y", "width", "height", "line_width", signed=("x", "y"))
        _color(self.fill, f"{label}: fill")
        _color(self.stroke, f"{label}: stroke")


@_friendly
@dataclass
class Line(_Element):
    """A straight line (a rule) from (x1, y1) to (x2, y2)."""

    x1: object
    y1: object
    x2: object
    y2: object
    width: object = 0.5
    color: object = "#000000"
    name: str | None = None

    def __post_init__(self):
        label = self.label()
        _lengths(self, label, "x1", "y1", "x2", "y2", "width", signed=("x1", "y1", "x2", "y2"), positive=("width",))
        _color(self.color, f"{label}: color")


@_friendly
@dataclass
class Picture(_Element):
    """A PNG or JPEG image: fixed on a page template (x and y given) or in the flow.

    The file is read and checked when the template is compiled (a broken image stops the
    job before anything is written) and stored once per job in the output.

    Args:
        source: a path, the file's bytes, or a :class:`ccmcore.images.Image`.
        x, y: top-left corner for fixed placement (None in the flow).
        width, height: size on the page; give one to keep the aspect ratio, none for the
            image's own resolution (96 dpi when the file does not say).
        align: in the flow, 'left', 'center' or 'right' within the frame.
        space_before, space_after: in the flow, in points.
        alt: its alternative text, read out in a tagged PDF (PDF/UA) where the picture is a
            figure; None: the picture is decoration, an artifact.
    """

    source: object
    x: object = None
    y: object = None
    width: object = None
    height: object = None
    align: str = "left"
    space_before: float = 0.0
    space_after: float = 0.0
    name: str | None = None
    alt: str | None = None

    def __post_init__(self):
        label = self.label()
        _align(self, label, ("left", "center", "right"))
        if self.alt is not None and (not isinstance(self.alt, str) or not self.alt.strip()):
            raise TemplateError(f"{label}: alt must be a non-empty text (None for a picture that is decoration)")
        _lengths(
            self,
            label,
            *("x", "y", "width", "height", "space_before", "space_after"),
            signed=("x", "y"),
            optional=("x", "y", "width", "height"),
            positive=("width", "height"),
        )


@_friendly
@dataclass
class Barcode(_Element):
    """A barcode drawn as vector rectangles, fixed on a page template.

    Args:
        kind: 'code128', 'qr', 'datamatrix', 'imb' or 'omr'.
        text: the data, with {fields} and the page facts {page}, {pages} (within the
            document), {sheet}, {sheets} (sheets of the document: two pages a sheet when
            the document is duplex) and {job_sheet} (sheet number in the whole job). Page
            facts here count physical pages, blank backs included (what an inserter sees);
            "Page {page} of {pages}" in a Text counts the pages with content. OMR marks of a
            duplex document go on front pages only. For
            'imb': "tracking routing" (20 digits, a space, 0/5/9/11 digits). Unused for 'omr'.
        x, y: top-left corner of the symbol (quiet zone included).
        module: module (narrow bar / cell) size; height: bar height (1D symbols).
        options: passed to the encoder (e.g. ``ecc="Q"`` for QR, ``size=(16, 16)`` for
            Data Matrix, ``spec=OmrSpec(...)`` for OMR).
        color: the bars' colour.
    """

    kind: str
    text: str
    x: object
    y: object
    module: object = None
    height: object = None
    options: dict = field(default_factory=dict)
    color: object = "#000000"
    name: str | None = None

    def __post_init__(self):
        kinds = ("code128", "qr", "datamatrix", "imb", "omr")
        if self.kind not in kinds:
            raise TemplateError(
                f"{self.label()}: kind must be {', '.join(kinds)}, "
                f"not {self.kind!r}{did_you_mean(str(self.kind), kinds)}"
            )
        _lengths(
            self,
            self.label(),
            "x",
            "y",
            "module",
            "height",
            signed=("x", "y"),
            optional=("module", "height"),
            positive=("module", "height"),
        )
        _color(self.color, f"{self.label()}: color")


@_friendly
@dataclass
class Overlay:
    """Static page content defined once and stored once per job (a PDF Form XObject, an
    AFP page overlay): letterheads, form lines, logos. Its content must not use fields.

    Args:
        name: the overlay's name (AFP resource name: 8 characters at most are used).
        content: fixed elements (:class:`Text` without fields, :class:`Rect`, :class:`Line`,
            :class:`Picture`), positioned relative to the overlay's top-left corner.
        size: (width, height); None uses the document's page size.
    """

    name: str
    content: Sequence = ()
    size: tuple | None = None

    def __post_init__(self):
        _check(self, "Overlay", "name", (str,))
        _content(self, f"Overlay {self.name!r}", "content")
        _size(self, f"Overlay {self.name!r}", "size")


@_friendly
@dataclass
class Frame:
    """The rectangle flowing content fills on a page: x, y of its top-left corner, its
    width and height (lengths: points, or strings with a unit such as "20mm")."""

    x: object
    y: object
    width: object
    height: object

    def __post_init__(self):
        _lengths(self, "Frame", "x", "y", "width", "height", signed=("x", "y"), positive=("width", "height"))


@_friendly
@dataclass
class PageTemplate:
    """A page layout: its size, the frame for flowing content, and fixed content.

    Args:
        name: the template's name (shown in dumps and reports).
        body: the :class:`Frame` flowing content fills.
        content: fixed elements (:class:`Text`, :class:`Rect`, :class:`Line`, :class:`When`).
        size: (width, height); None uses the document's page size.
        medium_map: name of the form definition's medium map its pages invoke in print
            output (AFP IMM); None: the printer's default.
        overlays: :class:`Overlay` objects drawn under the page's content, each at (0, 0).
    """

    name: str
    body: Frame
    content: Sequence = ()
    size: tuple | None = None
    medium_map: str | None = None
    overlays: Sequence = ()

    def __post_init__(self):
        label = f"PageTemplate {self.name!r}"
        if not isinstance(self.body, Frame):
            raise TemplateError(f"{label}: body must be a Frame, not {self.body!r}")
        _content(self, label, "content")
        _elements(self, label, "overlays", (Overlay,))
        _check(self, label, "medium_map", (str,), optional=True)
        _size(self, label, "size")


Element = Paragraph | Spacer | Table | When | Text | Rect | Line | Picture | Barcode


@_friendly
@dataclass
class Document:
    """A document definition: page templates, flowing content, fonts and formats.

    Args:
        flow: flowing content (:class:`Paragraph`, :class:`Table`, :class:`Spacer`, :class:`When`).
        first: template of each document's first page.
        next: template of continuation pages (None: same as first).
        last: template of each document's last page (chosen after pagination: the last
            page takes it when its content fits the last template's frame, otherwise a
            page with the last template's fixed content is added); None: no special last page.
        duplex: printed on both sides: every document starts on a new sheet (an odd page
            count gets a blank back page) and {sheet} counts two pages a sheet.
        back: with duplex, the back of each document's first sheet (terms and conditions):
            fixed content only; the flow continues on the next sheet.
        blank: with duplex, the template of padding back pages (None: an empty page).
        extra_pages: pages appended to each document after its flow, each a
            :class:`PageTemplate` or ``When(rule, PageTemplate)`` (fixed content only).
        messages: the message library (:class:`Message`).
        slots: named message areas on the first page (:class:`Slot`).
        max_last_page_messages: at most this many messages in the last page's free space.
        page_size: default page size (width, height).
        family: default font family (None: Noto Sans, shipped with pymupdf-fonts).
        style: default body style.
        formats: column (or "list.field") -> format, e.g. ``{"total_cents": money()}``.
            A format with ``locale_column`` (``money(currency="EUR", locale_column="language")``)
            formats each document in the locale named by that string column (table items
            in their document's); unknown locale ids reject the document.
        null_text: column -> text shown where the value is null (default: empty).
        required: columns whose null rejects the document (reported, not rendered).
        tags: index attributes of each document for print-file indexes (AFP TLE):
            attribute name -> text with {fields}, e.g. ``{"Customer": "{customer_id}"}``.
            A value holds no control character (no tab or line break either) and needs
            at most 250 bytes as AFP writes it (250 Latin-1 characters, or 125 when one is
            outside Latin-1); a record whose value does not is rejected, in every format.

    Text values that cannot be shown reject their record (reported with record, field and
    reason), in PDF and AFP alike: bytes that are not UTF-8, and control characters (C0
    but tab and line feed, also as CR LF; DEL; C1; U+2028 and U+2029). A tab is shown as a
    space, a line feed breaks the line. The template's own texts may not hold them either
    (:class:`~ccmcore.errors.TemplateError`).
        name: the document type's name.
    """

    flow: Sequence = ()
    first: PageTemplate | None = None
    next: PageTemplate | None = None
    last: PageTemplate | None = None
    duplex: bool = False
    back: PageTemplate | None = None
    blank: PageTemplate | None = None
    extra_pages: Sequence = ()
    messages: Sequence = ()
    slots: Sequence = ()
    max_last_page_messages: int = 3
    page_size: tuple = A4
    family: FontFamily | None = None
    style: Style = field(default_factory=Style)
    formats: dict = field(default_factory=dict)
    null_text: dict = field(default_factory=dict)
    required: Sequence[str] = ()
    tags: dict = field(default_factory=dict)
    name: str = "document"
    einvoice: Any = None  # an EInvoice (imported when used: most jobs have none)

    def __post_init__(self):
        _size(self, "Document", "page_size")
        if self.first is None:
            w, h = self.page_size
            margin = mm(20)
            self.first = PageTemplate("page", Frame(margin, margin, w - 2 * margin, h - 2 * margin))
        if not isinstance(self.formats, dict) or not all(isinstance(k, str) for k in self.formats):
            raise TemplateError(f"Document: formats must be a dict of column -> format, not {self.formats!r}")
        for key, value in self.formats.items():
            _check_format(value, f"Document.formats[{key!r}]")
        for name in ("first", "next", "last", "back", "blank"):
            _check(self, "Document", name, (PageTemplate,), optional=True)
        _content(self, "Document", "flow")
        _elements(self, "Document", "messages", (Message,))
        _elements(self, "Document", "slots", (Slot,))
        _elements(self, "Document", "extra_pages", (PageTemplate, When))
        _names(self, "Document", "required")
        _texts(self, "Document", "null_text")
        _texts(self, "Document", "tags")
        _check(self, "Document", "family", (FontFamily,), optional=True)
        _check(self, "Document", "duplex", (bool,))
        if not isinstance(self.style, Style):
            raise TemplateError(f"Document: style must be a Style, not {self.style!r}")
        if self.back is not None and not self.duplex:
            raise TemplateError("Document.back is the back of the first sheet: it needs duplex=True")
        if self.einvoice is not None:
            from .einvoice import EInvoice

            if not isinstance(self.einvoice, EInvoice):
                raise TemplateError(f"Document: einvoice must be an EInvoice, not {self.einvoice!r}")


def columns_read_as_values(document: Document) -> set[str]:
    """The columns the document reads as numbers or dates rather than as text: those with
    a number, money or date format, those its rules compare with a number, a date or
    another column or take as a condition (:meth:`Rule.value_columns`), and of table items
    (``"items.amount"``) those with such a format and those a table sums.

    A CSV file has no types of its own: these are the columns whose type is inferred when
    one is read for this document; every other column is read as text, as written (a
    postcode ``01067`` stays ``01067``).
    """
    found = {key for key, f in document.formats.items() if _formats.reads_values(f)}

    def walk(elements) -> None:
        for el in elements:
            if isinstance(el, Table):
                if el.carry is not None:
                    found.add(f"{el.source}.{el.carry}")
                found.update(
                    f"{el.source}.{c.field}"
                    for c in el.columns
                    if c.field and c.format and _formats.reads_values(c.format)
                )
            elif isinstance(el, When):
                found.update(el.rule.value_columns())
                walk(el.content)
            elif isinstance(el, Message):
                if el.rule is not None:
                    found.update(el.rule.value_columns())
                walk(el.content)
            elif isinstance(el, PageTemplate):
                walk(el.content)

    templates = [document.first, document.next, document.last, document.back, document.blank]
    walk([t for t in templates if t is not None])
    walk(document.flow)
    walk(document.messages)
    walk(document.extra_pages)
    if document.einvoice is not None:
        found |= document.einvoice.value_columns()
    return found
