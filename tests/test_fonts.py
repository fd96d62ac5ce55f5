"""Fonts: metrics, errors, the probed fast-path tables, ligatures end to end."""

from __future__ import annotations

import pyarrow as pa
import pymupdf_fonts
import pypdfium2 as pdfium
import pytest
import uharfbuzz as hb

from ccmcore import (
    Document,
    Font,
    FontError,
    FontFamily,
    Frame,
    PageTemplate,
    Paragraph,
    Style,
    compose,
    default_family,
    layout,
    mm,
)
from ccmcore.display import G0, GLYPHS, GN, KIND
from ccmcore.fonts import COMPLEX, MAX_SLOTS, PAIR_COMPLEX


@pytest.fixture(scope="module")
def firago():
    """FiraGO forms fi/fl/ffi ligatures by default, unlike Noto Sans."""
    return FontFamily(
        Font(pymupdf_fonts.myfont("figo"), "FiraGO-Regular"), Font(pymupdf_fonts.myfont("figbo"), "FiraGO-Bold")
    )


def hb_shape(font: Font, text: str):
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font.hb_font, buf, {})
    return [i.codepoint for i in buf.glyph_infos], [p.x_advance for p in buf.glyph_positions]


def test_default_family_metrics():
    fam = default_family()
    reg, bold, it = fam.regular, fam.bold, fam.italic
    assert reg.name == "NotoSans-Regular" and bold.name == "NotoSans-Bold" and it.name == "NotoSans-Italic"
    assert reg.upem == 1000 and reg.ascender > 0 > reg.descender
    assert bold.weight > reg.weight
    assert it.italic_angle < 0
    assert reg.advances.shape == (reg.num_glyphs,)
    assert reg.unicode_for(reg.cmap[ord("é")]) == "é"


def test_bad_font_files_raise_font_error(tmp_path):
    with pytest.raises(FontError, match="not a usable"):
        Font(b"this is not a font", "junk")
    with pytest.raises(FontError, match="cannot read"):
        Font.from_path(tmp_path / "missing.ttf")
    truncated = tmp_path / "cut.ttf"
    truncated.write_bytes(pymupdf_fonts.myfont("notos")[:200])
    with pytest.raises(FontError):
        Font.from_path(truncated)


def test_family_from_paths_falls_back_to_regular(tmp_path):
    p = tmp_path / "r.ttf"
    p.write_bytes(pymupdf_fonts.myfont("notos"))
    fam = FontFamily.from_paths(p)
    assert fam.bold is fam.regular and fam.italic is fam.regular and fam.bold_italic is fam.regular
    assert fam.face(bold=True, italic=True).name == "NotoSans-Regular"


def test_probe_records_harfbuzz_kerning_and_marks_marks_complex():
    font = Font(pymupdf_fonts.myfont("notos"), "fresh")  # its own tables
    font.probe(map(ord, "AVTo.\u0301"))
    assert font.slot_of[0x301] == COMPLEX  # a combining mark never takes the fast path
    a, v = int(font.slot_of[ord("A")]), int(font.slot_of[ord("V")])
    gids, adv = hb_shape(font, "AV")
    assert font.pair[a * MAX_SLOTS + v] == adv[0] - font.advances[gids[0]] != 0


def test_ligature_pairs_are_complex(firago):
    font = firago.regular
    font.probe(map(ord, "fiox"))
    f, i, o = (int(font.slot_of[ord(c)]) for c in "fio")
    assert font.pair[f * MAX_SLOTS + i] == PAIR_COMPLEX
    assert font.pair[o * MAX_SLOTS + f] != PAIR_COMPLEX


def doc_with(family, width=mm(180)):
    tpl = PageTemplate("p", Frame(mm(10), mm(10), width, mm(250)))
    return Document(flow=[Paragraph("{t}", Style(size=12))], first=tpl, family=family)


def test_ligatures_are_laid_out_as_harfbuzz_shapes_them(firago):
    text = "office fluffy waffle and plain words"
    dl, bound, _ = next(iter(layout(doc_with(firago), pa.table({"t": [text]}))))
    (run,) = [it for it in dl.page_items(0) if it[KIND] == GLYPHS]
    gids, _ = hb_shape(firago.regular, text)
    assert dl.gids[run[G0] : run[G0] + run[GN]].tolist() == gids
    assert len(gids) < len(text)  # ligatures really formed
    assert not bound.rejections


def test_ligatures_extract_as_their_letters_from_the_pdf(firago, tmp_path):
    text = "office fluffy waffle"
    out = tmp_path / "lig.pdf"
    compose(doc_with(firago), pa.table({"t": [text]}), out)
    doc = pdfium.PdfDocument(str(out))
    got = doc[0].get_textpage().get_text_range()
    doc.close()
    assert got.strip() == text
