"""Right-to-left and mixed-direction text: bidi levels, visual order per line, Arabic joining,
rendered and extracted from the PDF. The font is DejaVu Sans from matplotlib's wheel (it has
Hebrew and Arabic; Noto Sans from pymupdf-fonts has neither)."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pytest
import uharfbuzz as hb

from ccmcore import Document, Font, FontFamily, Frame, PageTemplate, Paragraph, Style, compose, layout, mm
from ccmcore.bidi import base_level, levels
from ccmcore.display import G0, GLYPHS, GN, KIND

matplotlib = pytest.importorskip("matplotlib")
bidi_ref = pytest.importorskip("bidi")

SHALOM = "\u05e9\u05dc\u05d5\u05dd"  # Hebrew, no contextual forms
MARHABA = "\u0645\u0631\u062d\u0628\u0627"  # Arabic, joined letters


@pytest.fixture(scope="module")
def dejavu():
    path = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
    return FontFamily(Font.from_path(path))


def test_levels_follow_the_implicit_bidi_rules():
    assert levels(f"abc {SHALOM} def") == [0] * 4 + [1] * 4 + [0] * 4
    # numbers inside right-to-left text keep their own order (level 2)
    assert levels(f"{SHALOM} 123") == [1] * 5 + [2] * 3
    # a separator between numbers joins them; a terminator belongs to the number (W4, W5)
    assert levels(f"{SHALOM} 12.5%") == [1] * 5 + [2] * 5
    assert base_level(f"123 {SHALOM}") == 1 and base_level("x") == 0


def glyph_runs(dl):
    return [it for it in dl.page_items(0) if it[KIND] == GLYPHS]


def one_line(doc_family, text, width=mm(180)):
    doc = Document(
        flow=[Paragraph("{t}", Style(size=12))],
        family=doc_family,
        first=PageTemplate("p", Frame(mm(10), mm(10), width, mm(200))),
    )
    ((dl, bound, _),) = list(layout(doc, pa.table({"t": [text]})))
    assert not bound.rejections
    return dl


@pytest.mark.parametrize(
    "text", [f"Invoice {SHALOM} total 42", f"{SHALOM} abc {SHALOM[::-1]} 2026", f"{SHALOM}, 12.50 EUR!"]
)
def test_visual_order_matches_an_independent_bidi_implementation(dejavu, text):
    dl = one_line(dejavu, text)
    (run,) = glyph_runs(dl)
    font = dejavu.regular
    visual = bidi_ref.get_display(text)
    expected = [font.cmap[ord(ch)] for ch in visual]
    got = dl.gids[run[G0] : run[G0] + run[GN]].tolist()
    # mirrored characters (brackets) aside, Hebrew and Latin have one glyph per character
    assert got == expected
    assert dl.run_text(run) == text  # the run's text stays in logical order


def test_arabic_is_joined_as_harfbuzz_shapes_it(dejavu):
    dl = one_line(dejavu, MARHABA)
    (run,) = glyph_runs(dl)
    buf = hb.Buffer()
    buf.add_str(MARHABA)
    buf.guess_segment_properties()
    hb.shape(dejavu.regular.hb_font, buf, {})
    assert dl.gids[run[G0] : run[G0] + run[GN]].tolist() == [i.codepoint for i in buf.glyph_infos]
    # joining forms differ from the isolated letters
    assert [i.codepoint for i in buf.glyph_infos] != [dejavu.regular.cmap[ord(c)] for c in MARHABA[::-1]]


def test_lines_break_in_logical_order(dejavu):
    words = [f"{SHALOM}{i}" for i in range(30)]
    text = " ".join(words)
    dl = one_line(dejavu, text, width=mm(40))
    runs = glyph_runs(dl)
    assert len(runs) > 3
    # each line holds a consecutive piece of the logical text, first words first
    assert " ".join(dl.run_text(r) for r in runs) == text


def test_rtl_pdf_renders_and_extracts(dejavu, tmp_path):
    import pypdfium2 as pdfium

    text = f"{MARHABA} {SHALOM} 2026"
    doc = Document(
        flow=[Paragraph("{t}", Style(size=24))],
        family=dejavu,
        first=PageTemplate("p", Frame(mm(10), mm(10), mm(180), mm(200))),
    )
    out = tmp_path / "rtl.pdf"
    compose(doc, pa.table({"t": [text]}), out)
    pdf = pdfium.PdfDocument(str(out))
    got = pdf[0].get_textpage().get_text_range()
    image = np.asarray(pdf[0].render(scale=1).to_pil().convert("L"))
    pdf.close()
    # every character is extractable (the extractor may give visual or logical order)
    assert sorted(got.replace(" ", "").strip()) == sorted(text.replace(" ", ""))
    # and the glyphs are really drawn: ink in the first line's band
    band = image[20:80, :]
    assert (band < 128).sum() > 500


def test_rtl_afp_validates_and_carries_the_text(dejavu, tmp_path):
    from afp_read import read_groups

    from ccmcore.afp.validate import validate

    text = f"{MARHABA} {SHALOM} 2026"
    doc = Document(
        flow=[Paragraph("{t}", Style(size=14))],
        family=dejavu,
        first=PageTemplate("p", Frame(mm(10), mm(10), mm(180), mm(200))),
    )
    out = tmp_path / "rtl.afp"
    compose(doc, pa.table({"t": [text]}), out, format="afp")
    assert validate(out) == []
    (group,) = read_groups(out)
    assert len(group.pages) == 1
