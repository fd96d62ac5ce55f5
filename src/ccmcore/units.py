"""Lengths. ccmcore computes every position in integer millipoints (1/1000 pt).

One unit converts exactly to PDF points (/1000) and to AFP's 1440 units per inch (/50).
"""

from __future__ import annotations

__all__ = ["pt", "mm", "cm", "inch", "A4", "LETTER", "to_mpt"]

MPT_PER_PT = 1000
MPT_PER_INCH = 72_000


def pt(v: float) -> int:
    """Points to millipoints."""
    return round(v * MPT_PER_PT)


def inch(v: float) -> int:
    """Inches to millipoints."""
    return round(v * MPT_PER_INCH)


def mm(v: float) -> int:
    """Millimetres to millipoints."""
    return round(v * MPT_PER_INCH / 25.4)


def cm(v: float) -> int:
    """Centimetres to millipoints."""
    return mm(v * 10)


def to_mpt(v) -> int:
    """A length given as millipoints (int) or as a string with a unit: '20mm', '9.5pt', '1in'."""
    if isinstance(v, bool):
        raise TypeError("a length cannot be a bool")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return round(v)
    if isinstance(v, str):
        s = v.strip().lower()
        for suffix, fn in (("mm", mm), ("cm", cm), ("pt", pt), ("in", inch)):
            if s.endswith(suffix):
                return fn(float(s[: -len(suffix)]))
    raise ValueError(f"not a length: {v!r} (use mm(), pt(), inch() or a string like '20mm')")


#: A4 portrait (width, height)
A4 = (mm(210), mm(297))
#: US Letter portrait (width, height)
LETTER = (inch(8.5), inch(11))
