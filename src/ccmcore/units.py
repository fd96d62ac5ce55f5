"""Lengths: one rule everywhere. A bare number is in points (1/72 inch, as in PDF,
ReportLab and Typst); any other unit is written out, as a string (``"4mm"``, ``"10pt"``,
``"2.5cm"``, ``"1in"``) or with a helper that converts to points (``mm(4)``, ``inch(1)``)::

    >>> mm(25.4) == inch(1) == 72.0
    True
    >>> points("4mm") == mm(4)
    True
    >>> points(12)
    12.0

Font sizes, leading and spacing are lengths too, so ``Style(size=10, space_after="4mm")``
means 10 points of type and 4 millimetres of space. Inside, ccmcore computes every
position in integer millipoints (1/1000 pt; :func:`to_mpt`), which convert exactly to PDF
points (/1000) and to AFP's 1440 units per inch (/50); only the device-neutral display
list and the kernel see them.
"""

from __future__ import annotations

import math
import re

from .errors import TemplateError

__all__ = ["pt", "mm", "cm", "inch", "A4", "LETTER", "points", "to_mpt"]

MPT_PER_PT = 1000
_PT_PER = {"pt": 1.0, "mm": 72 / 25.4, "cm": 720 / 25.4, "in": 72.0}
_LENGTH = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(pt|mm|cm|in)?\s*", re.IGNORECASE)
_HOW = "write points as a number, or a length with its unit: '4mm', '10pt', '1.5cm', '1in', or mm(4)"


def pt(v: float) -> float:
    """Points (the unit of bare numbers): ``pt(10)`` is 10.0."""
    return float(v)


def inch(v: float) -> float:
    """Inches in points."""
    return v * 72.0


def mm(v: float) -> float:
    """Millimetres in points."""
    return v * (72 / 25.4)


def cm(v: float) -> float:
    """Centimetres in points."""
    return v * (720 / 25.4)


def points(v, where: str = "length") -> float:
    """A length in points: a number (points) or a string with a unit ('20mm', '9.5pt', '1in').

    Raises:
        TemplateError: naming ``where`` (the element and field) for anything else: None,
            a bool, a string without a number, an unknown unit, a NaN or an infinity.
    """
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        f = float(v)
    elif isinstance(v, str) and (m := _LENGTH.fullmatch(v)):
        f = float(m.group(1)) * _PT_PER[(m.group(2) or "pt").lower()]
    elif hasattr(v, "__float__") and not isinstance(v, (bool, str, bytes)):
        f = float(v)  # numpy scalars, Decimal
    else:
        raise TemplateError(f"{where}: {v!r} is not a length ({_HOW})")
    if not math.isfinite(f):
        raise TemplateError(f"{where}: {v!r} is not a finite length")
    return f


def to_mpt(v, where: str = "length") -> int:
    """A length (see :func:`points`) in integer millipoints, the kernel's unit."""
    return round(points(v, where) * MPT_PER_PT)


#: A4 portrait (width, height) in points
A4 = (mm(210), mm(297))
#: US Letter portrait (width, height) in points
LETTER = (inch(8.5), inch(11))
