"""Test helper: where text stands on a rendered PDF page (read with PDFium).

PDFium builds differ in the height of a character's "loose" box, so the line's top and
bottom are computed from what every build reports alike: the baseline (the character's
origin), the font size and the font's name, with the font's ascender and descender.
"""

from __future__ import annotations

import ctypes

import pypdfium2.raw as pdfium_c

from ccmcore import default_family, mm


def _face(family, name: str):
    ps = name.split("+", 1)[-1]  # a subset font's name is XXXXXX+Name
    faces = {f.name: f for f in (family.regular, family.bold, family.italic, family.bold_italic)}
    assert ps in faces, (ps, sorted(faces))
    return faces[ps]


def text_box_mm(page, text: str, family=None) -> tuple[float, float, float, float]:
    """left, top, right, bottom of a text's line on a pypdfium2 page, in mm from the page's
    top-left corner: from its first character's origin to its last character's right edge,
    and from ascender to descender of its font (in ``family``, default Noto Sans)."""
    tp = page.get_textpage()
    found = tp.search(text, match_case=True).get_next()
    assert found, text
    i, n = found
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(tp.raw, i, ctypes.byref(x), ctypes.byref(y))
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFText_GetMatrix(tp.raw, i, ctypes.byref(matrix))
    size = pdfium_c.FPDFText_GetFontSize(tp.raw, i) * matrix.d
    name = ctypes.create_string_buffer(256)
    pdfium_c.FPDFText_GetFontInfo(tp.raw, i, name, 256, None)
    face = _face(family or default_family(), name.value.decode())
    ascent, descent = face.ascender * size / face.upem, -face.descender * size / face.upem
    right = tp.get_charbox(i + n - 1, loose=True)[2]
    h = page.get_height()
    baseline = h - y.value
    return x.value / mm(1), (baseline - ascent) / mm(1), right / mm(1), (baseline + descent) / mm(1)
