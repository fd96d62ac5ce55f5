"""A ready first page for letters in window envelopes, laid out after DIN 5008 (A4).

DIN 5008 places the recipient's address where a DIN 680 window envelope (DL or C5/C4)
shows it, so the page's geometry is fixed by the envelope, not by taste. The figures used
here (all from the page's top-left corner, A4 portrait):

==============================  =================  =================
                                form A             form B
==============================  =================  =================
letterhead (top margin)         27 mm              45 mm
address field                   x 20, y 27 mm      x 20, y 45 mm
  size                          85 x 45 mm         85 x 45 mm
  return line and notes zone    17.7 mm high       17.7 mm high
  address zone                  27.3 mm high,      27.3 mm high,
                                from y 44.7 mm     from y 62.7 mm
information block               x 125, y 32 mm,    x 125, y 50 mm,
                                75 mm wide         75 mm wide
fold marks                      87 mm, 192 mm      105 mm, 210 mm
hole mark                       148.5 mm           148.5 mm
==============================  =================  =================

Form B (the deeper letterhead) is the common one. The return line (the sender, in small
type) sits at the foot of the notes zone, just above the address zone; the address is
written from the top of the address zone down, at most six lines. Every text here has a
fixed box (``Text(height=...)``) so a long address never runs out of the window: by
default it is set smaller until it fits, and a record whose address fits at no size is
rejected, naming the element.

Use :func:`din5008_letter` for a whole first-page template, or :func:`din5008_address`,
:func:`din5008_info_block` and :func:`din5008_marks` for the pieces (for instance to show
the information block's labels in the document's language with :class:`~ccmcore.When`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import TemplateError
from .template import Frame, Line, Overlay, PageTemplate, Style, Text
from .units import A4, mm, points

__all__ = [
    "DIN5008_FORMS",
    "Din5008Form",
    "din5008_address",
    "din5008_info_block",
    "din5008_letter",
    "din5008_marks",
    "din5008_return_line",
]


@dataclass(frozen=True)
class Din5008Form:
    """The positions of one DIN 5008 form on an A4 page, in points from the top-left corner."""

    name: str
    letterhead: float  # height of the letterhead zone (the address field's top)
    address_x: float
    address_y: float
    address_w: float
    address_h: float
    notes_h: float  # the return line and notes zone, at the top of the address field
    info_x: float
    info_y: float
    info_w: float
    fold_marks: tuple[float, float]
    hole_mark: float

    @property
    def address_zone_y(self) -> float:
        """Top of the address zone (the recipient's lines)."""
        return self.address_y + self.notes_h

    @property
    def address_zone_h(self) -> float:
        return self.address_h - self.notes_h


#: the two forms of DIN 5008 on A4
DIN5008_FORMS = {
    "A": Din5008Form(
        "A", mm(27), mm(20), mm(27), mm(85), mm(45), mm(17.7), mm(125), mm(32), mm(75), (mm(87), mm(192)), mm(148.5)
    ),
    "B": Din5008Form(
        "B", mm(45), mm(20), mm(45), mm(85), mm(45), mm(17.7), mm(125), mm(50), mm(75), (mm(105), mm(210)), mm(148.5)
    ),
}

#: the recommended sizes: 8 pt at most in the notes zone (6 pt at least), 8 pt at least
#: in the address zone
RETURN_STYLE = Style(size=6.5, leading=8, color="#555555")
ADDRESS_STYLE = Style(size=10, leading=12)
INFO_STYLE = Style(size=8.5, leading=11)


def _form(form: str) -> Din5008Form:
    if form not in DIN5008_FORMS:
        raise TemplateError(f"DIN 5008 form must be 'A' or 'B', not {form!r}")
    return DIN5008_FORMS[form]


def _line(entry: str, what: str) -> str:
    """An address line: a column name, or a text with {fields}."""
    if not isinstance(entry, str) or not entry:
        raise TemplateError(f"{what}: each line must be a column name or a text with {{fields}}, not {entry!r}")
    return entry if "{" in entry else "{" + entry + "}"


def din5008_address(
    address: Sequence[str],
    *,
    return_line: str | None = None,
    form: str = "B",
    style: Style | None = None,
    return_style: Style | None = None,
    overflow: str = "shrink",
    rule: bool = True,
    name: str = "address",
) -> list:
    """The fixed elements of the address field: the return line (optional) at the foot of
    the notes zone, a hairline under it, and the recipient's address in the address zone.

    Args:
        address: the address lines, top to bottom, at most six: each a column name
            (``"name"``) or a text with {fields} (``"{postcode} {city}"``).
        return_line: the sender in one line (static text or {fields}); None: none.
        form: "A" or "B" (see the module's table).
        style, return_style: the address's and the return line's styles.
        overflow: what a too-long address does (``Text.overflow``: "shrink" by default,
            "cut" or "reject"); the return line is always cut to its one line.
        rule: draw a hairline between the return line and the address.
        name: the address element's name in messages and reports.
    """
    f = _form(form)
    lines = [_line(e, "din5008_address") for e in address]
    if not 1 <= len(lines) <= 6:
        raise TemplateError(f"din5008_address: the address zone holds 1 to 6 lines, not {len(lines)}")
    style = style or ADDRESS_STYLE
    out = din5008_return_line(return_line, form=form, style=return_style, rule=rule) if return_line else []
    out.append(
        Text(
            "\n".join(lines),
            x=f.address_x,
            y=f.address_zone_y,
            width=f.address_w,
            height=f.address_zone_h,
            overflow=overflow,
            style=style,
            name=name,
        )
    )
    return out


def din5008_return_line(text: str, *, form: str = "B", style: Style | None = None, rule: bool = True) -> list:
    """The return line (the sender in one line of small type) at the foot of the notes
    zone, 1 mm above the address zone, and a hairline under it (``rule``). The line is cut
    with "…" when it is longer than the window is wide. Static, so it may go in an
    :class:`~ccmcore.Overlay`."""
    f = _form(form)
    rs = style or RETURN_STYLE
    lead = rs.leading if rs.leading is not None else rs.size * 1.2
    out: list = [
        Text(
            text,
            x=f.address_x,
            y=f.address_zone_y - mm(1) - lead,
            width=f.address_w,
            height=lead,
            overflow="cut",
            style=rs,
            name="return line",
        )
    ]
    if rule:
        y = f.address_zone_y - mm(0.5)
        out.append(
            Line(f.address_x, y, f.address_x + f.address_w, y, width=mm(0.15), color="#888888", name="return line rule")
        )
    return out


def din5008_info_block(
    fields: Sequence[tuple[str, str]],
    *,
    form: str = "B",
    height: float | str | None = None,
    label_width: float | str = mm(28),
    style: Style | None = None,
    label_style: Style | None = None,
    overflow: str = "reject",
) -> list:
    """The information block: labels and values (``[("Customer no.", "{customer_id}"), ...]``)
    in two columns at the form's position, 75 mm wide.

    Args:
        fields: (label, value) pairs, one line each; values may hold {fields}.
        form: "A" or "B".
        height: the block's height (default: down to the address field's foot).
        label_width: the width of the labels' column.
        style, label_style: the values' and labels' styles (labels default to grey).
        overflow: what a value too long for the block does (``Text.overflow``).
    """
    f = _form(form)
    if not fields:
        raise TemplateError("din5008_info_block: give at least one (label, value) field")
    for pair in fields:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise TemplateError(f"din5008_info_block: each field is a (label, value) pair of texts, not {pair!r}")
    style = style or INFO_STYLE
    label_style = label_style or style.but(color="#555555")
    h = points(height, "din5008_info_block: height") if height is not None else f.address_y + f.address_h - f.info_y
    lw = points(label_width, "din5008_info_block: label_width")
    return [
        Text(
            "\n".join(label for label, _ in fields),
            x=f.info_x,
            y=f.info_y,
            width=lw,
            height=h,
            overflow="reject",
            style=label_style,
            name="information block labels",
        ),
        Text(
            "\n".join(value for _, value in fields),
            x=f.info_x + lw,
            y=f.info_y,
            width=f.info_w - lw,
            height=h,
            overflow=overflow,
            style=style,
            name="information block",
        ),
    ]


def din5008_marks(form: str = "B", color: object = "#888888") -> list:
    """The fold marks and the hole mark in the left margin."""
    f = _form(form)
    return [
        *(Line(mm(3), y, mm(8), y, width=mm(0.2), color=color, name="fold mark") for y in f.fold_marks),
        Line(mm(3), f.hole_mark, mm(10), f.hole_mark, width=mm(0.2), color=color, name="hole mark"),
    ]


def din5008_letter(
    name: str = "first",
    *,
    address: Sequence[str],
    return_line: str | None = None,
    info: Sequence[tuple[str, str]] = (),
    form: str = "B",
    body: Frame | None = None,
    content: Sequence = (),
    overlays: Sequence[Overlay] = (),
    marks: bool = True,
    address_style: Style | None = None,
    address_overflow: str = "shrink",
    medium_map: str | None = None,
) -> PageTemplate:
    """A first-page template for window-envelope letters after DIN 5008 (A4 portrait).

    Example::

        first = din5008_letter(
            address=["name", "street", "{postcode} {city}", "country"],
            return_line="Northwind Telecom · 1 Harbour Street · Bristol BS1 4QA",
            info=[("Customer no.", "{customer_id}"), ("Date", "{invoice_date}")],
        )

    Args:
        name: the template's name.
        address: the address lines (see :func:`din5008_address`).
        return_line: the sender's one-line return address (None: none).
        info: the information block's (label, value) pairs (empty: none).
        form: "A" or "B" (the default, for the deeper letterhead).
        body: the frame of the flowing content (default: 25 mm from the left, 20 mm from
            the right, from 10 mm under the address field to 20 mm above the page's foot).
        content: more fixed elements (the letterhead, page numbers, barcodes).
        overlays: :class:`Overlay` objects under the page's content.
        marks: draw the fold and hole marks.
        address_style, address_overflow: the address's style and overflow rule.
        medium_map: the AFP medium map the page invokes.
    """
    f = _form(form)
    page_w, page_h = A4
    if body is None:
        top = f.address_y + f.address_h + mm(10)
        body = Frame(mm(25), top, page_w - mm(25) - mm(20), page_h - mm(20) - top)
    elements = din5008_address(
        address, return_line=return_line, form=form, style=address_style, overflow=address_overflow
    )
    if info:
        elements += din5008_info_block(info, form=form)
    if marks:
        elements += din5008_marks(form)
    return PageTemplate(
        name, body=body, content=[*elements, *content], size=A4, overlays=list(overlays), medium_map=medium_map
    )
