"""Internal: bidirectional text levels (the implicit part of Unicode's bidi algorithm, UAX #9).

Right-to-left text (Hebrew, Arabic) mixed with left-to-right text and numbers needs each
character's embedding level: runs are shaped in their own direction, lines are broken in
logical order, then each line is put in visual order by reversing runs of higher levels
(rule L2, done by the layout kernel). This module gives the levels for a paragraph from
its characters' bidi classes (rules P2-P3, W1-W7, N1-N2, I1-I2). Explicit embedding and
isolate controls (U+202A-U+202E, U+2066-U+2069) are not interpreted: they are treated as
neutral characters.
"""

from __future__ import annotations

import unicodedata

__all__ = ["has_rtl", "levels", "base_level"]

_RTL = {"R", "AL"}


def has_rtl(text: str) -> bool:
    """Does the text hold right-to-left characters?"""
    return any(unicodedata.bidirectional(ch) in _RTL for ch in text)


def base_level(text: str) -> int:
    """The paragraph level from the first strong character (0: LTR, 1: RTL); P2-P3."""
    for ch in text:
        t = unicodedata.bidirectional(ch)
        if t == "L":
            return 0
        if t in _RTL:
            return 1
    return 0


def levels(text: str, base: int | None = None) -> list[int]:
    """The embedding level of each character of one paragraph (no newlines inside)."""
    if base is None:
        base = base_level(text)
    n = len(text)
    if n == 0:
        return []
    sos = "R" if base % 2 else "L"
    types = [unicodedata.bidirectional(ch) or "L" for ch in text]
    # W1: a non-spacing mark takes the type of the character before it
    prev = sos
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = prev
        prev = types[i]
    # W2 + W3: European numbers after Arabic letters are Arabic numbers; AL is R
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("L", "R", "AL"):
            last_strong = t
        elif t == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]
    # W4: a single separator between two numbers of the same kind joins them
    for i in range(1, n - 1):
        if types[i] == "ES" and types[i - 1] == "EN" and types[i + 1] == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and types[i - 1] == types[i + 1] and types[i - 1] in ("EN", "AN"):
            types[i] = types[i - 1]
    # W5: terminators next to European numbers are part of them
    i = 0
    while i < n:
        if types[i] == "ET":
            j = i
            while j < n and types[j] == "ET":
                j += 1
            if (i > 0 and types[i - 1] == "EN") or (j < n and types[j] == "EN"):
                for k in range(i, j):
                    types[k] = "EN"
            i = j
        else:
            i += 1
    # W6: remaining separators and terminators are neutral
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]
    # W7: European numbers after left-to-right text are left-to-right
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"

    # N1 + N2: neutrals take the direction around them when both sides agree, else the base
    def strong(t: str) -> str | None:
        return "L" if t == "L" else ("R" if t in ("R", "EN", "AN") else None)

    i = 0
    while i < n:
        if strong(types[i]) is None:
            j = i
            while j < n and strong(types[j]) is None:
                j += 1
            before = strong(types[i - 1]) if i > 0 else sos
            after = strong(types[j]) if j < n else sos
            fill = before if before is not None and before == after else sos
            for k in range(i, j):
                types[k] = fill
            i = j
        else:
            i += 1
    # I1 + I2: resolved levels
    out = []
    for t in types:
        if base % 2 == 0:
            out.append(base + (1 if t == "R" else 2 if t in ("AN", "EN") else 0))
        else:
            out.append(base + (1 if t in ("L", "EN", "AN") else 0))
    return out
