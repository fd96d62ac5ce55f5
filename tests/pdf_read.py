"""Test helper: where text stands on a rendered PDF page (read with PDFium)."""

from __future__ import annotations

from ccmcore import mm


def text_box_mm(page, text: str) -> tuple[float, float, float, float]:
    """left, top, right, bottom of a text's loose box on a pypdfium2 page, in mm from the
    page's top-left corner (the first occurrence; the text must be there)."""
    tp = page.get_textpage()
    found = tp.search(text, match_case=True).get_next()
    assert found, text
    i, n = found
    b, e = tp.get_charbox(i, loose=True), tp.get_charbox(i + n - 1, loose=True)
    h = page.get_height()
    return b[0] / mm(1), (h - b[3]) / mm(1), e[2] / mm(1), (h - b[1]) / mm(1)
