"""Test helper: fonts built in the test with fontTools, so that no font package's release can
change what a test sees (glyph ids, advances, kerning are fixed here)."""

from __future__ import annotations

import io

from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen

from ccmcore.fonts import Font, FontFamily

__all__ = ["make_font", "fixed_family", "LETTERS"]

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ "
#: what the golden documents write: Latin with accents, digits and punctuation
GOLDEN_CHARS = LETTERS + "0123456789.,:;!?'-–()/€ÄÖÜäöüßéèçłŁ"
#: pairs kerned the way text faces kern them, so the golden dumps show kerning
GOLDEN_KERNING = {
    ("A", "V"): -80,
    ("V", "A"): -80,
    ("A", "T"): -60,
    ("T", "A"): -60,
    ("T", "o"): -90,
    ("T", "e"): -80,
    ("W", "a"): -50,
    ("r", "."): -70,
}


def _name(ch: str) -> str:
    return "space" if ch == " " else f"g{ord(ch):04X}"


def make_font(
    upem: int = 2048,
    cff: bool = False,
    ps_name: str = "CcmTest-Regular",
    *,
    chars: str = LETTERS,
    kerning: dict[tuple[str, str], int] | None = None,
) -> Font:
    """A small font built here: ``chars``, boxes as outlines, odd advances, optional pair kerning.

    Advances are chosen so that scaling to 1/1000 em rounds (upem 2048), which tests that
    TJ adjustments make up for the rounded /W widths. ``kerning`` maps character pairs to
    adjustments in font units (a GPOS ``kern`` feature).
    """
    names = [".notdef"] + [_name(c) for c in chars]
    adv = {".notdef": upem // 2}
    for k, name in enumerate(names[1:]):
        adv[name] = int(upem * 0.45) + 37 * k + 3  # 3 + 37k: rarely a whole 1/1000 em
    fb = FontBuilder(upem, isTTF=not cff)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): n for c, n in zip(chars, names[1:])})

    def box(pen, width):
        if width <= 0:
            return
        pen.moveTo((upem // 20, 0))
        pen.lineTo((upem // 20, upem * 7 // 10))
        pen.lineTo((width - upem // 20, upem * 7 // 10))
        pen.lineTo((width - upem // 20, 0))
        pen.closePath()

    if cff:
        strings = {}
        for n in names:
            pen = T2CharStringPen(adv[n], None)
            if n != "space":
                box(pen, adv[n])
            strings[n] = pen.getCharString()
        fb.setupCFF(ps_name, {"FullName": ps_name}, strings, {})
    else:
        glyphs = {}
        for n in names:
            pen = TTGlyphPen(None)
            if n != "space":
                box(pen, adv[n])
            glyphs[n] = pen.glyph()
        fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (adv[n], upem // 20) for n in names})
    fb.setupHorizontalHeader(ascent=upem * 8 // 10, descent=-upem // 5)
    family, _, style = ps_name.partition("-")
    fb.setupNameTable({"familyName": family, "styleName": style or "Regular", "psName": ps_name})
    fb.setupOS2(
        sTypoAscender=upem * 8 // 10,
        sTypoDescender=-upem // 5,
        usWinAscent=upem * 8 // 10,
        usWinDescent=upem // 5,
        sCapHeight=upem * 7 // 10,
    )
    fb.setupPost()
    if kerning:
        rules = "\n".join(f"  pos {_name(a)} {_name(b)} {v};" for (a, b), v in sorted(kerning.items()))
        addOpenTypeFeaturesFromString(fb.font, f"feature kern {{\n{rules}\n}} kern;\n")
    buf = io.BytesIO()
    fb.save(buf)
    return Font(buf.getvalue(), source="test-built")


def fixed_family() -> FontFamily:
    """Regular and bold faces built here, for golden dumps that no font release may change."""
    return FontFamily(
        make_font(ps_name="CcmFixed-Regular", chars=GOLDEN_CHARS, kerning=GOLDEN_KERNING),
        make_font(ps_name="CcmFixed-Bold", chars=GOLDEN_CHARS, kerning=GOLDEN_KERNING),
        name="CcmFixed",
    )
