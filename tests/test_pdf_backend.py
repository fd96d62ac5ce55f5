"""PDF backend: structure (pikepdf/qpdf), text (pypdfium2), fonts, determinism, page tree."""

from __future__ import annotations

import ctypes
import io
import re

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from dl_helpers import A4, LETTER, Rect, Rule, Text, build, one_page, pt, shaped_advances
from font_helpers import make_font
from fontTools.ttLib import TTFont

from ccmcore import display as D
from ccmcore.errors import EmptyJobError
from ccmcore.fonts import default_family
from ccmcore.pdf import PdfWriter
from ccmcore.pdf.fonts import pdf_widths, to_unicode_cmap, width_array

# ---------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def noto():
    return default_family().regular


@pytest.fixture(scope="module")
def noto_bold():
    return default_family().bold


def write_pdf(*dls, **kw) -> bytes:
    out = io.BytesIO()
    w = PdfWriter(out, **kw)
    for dl in dls:
        w.write(dl)
    w.close()
    return out.getvalue()


def open_pdf(data: bytes) -> pikepdf.Pdf:
    pdf = pikepdf.open(io.BytesIO(data))
    assert pdf.check_pdf_syntax() == []
    return pdf


def page_texts(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def char_origins(data: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(char, x, y) of every character pdfium sees, in PDF points (y up)."""
    doc = pdfium.PdfDocument(data)
    try:
        tp = doc[page].get_textpage()
        out = []
        for i in range(tp.count_chars()):
            x, y = ctypes.c_double(), ctypes.c_double()
            assert pdfium_c.FPDFText_GetCharOrigin(tp.raw, i, ctypes.byref(x), ctypes.byref(y))
            out.append((chr(pdfium_c.FPDFText_GetUnicode(tp.raw, i)), x.value, y.value))
        return out
    finally:
        doc.close()


def content_ops(pdf: pikepdf.Pdf, page: int = 0) -> list[tuple[str, list]]:
    return [(str(op), list(operands)) for operands, op in pikepdf.parse_content_stream(pdf.pages[page])]


# ---------------------------------------------------------------------------- structure


def test_valid_pdf_with_pages_and_mediabox(noto):
    dl = build(
        [
            [[("Dear customer", pt(72), pt(100), noto, pt(11))], [("page 2", pt(72), pt(100), noto, pt(11))]],
            [[("second document", pt(72), pt(100), noto, pt(11))]],
        ],
        page_size=A4,
    )
    data = write_pdf(dl)
    pdf = open_pdf(data)
    assert len(pdf.pages) == 3
    for page in pdf.pages:
        assert [float(v) for v in page.MediaBox] == pytest.approx([0, 0, 595.276, 841.89], abs=1e-9)
    assert data.startswith(b"%PDF-1.7\n")
    assert data.endswith(b"%%EOF\n")


def test_mediabox_follows_each_page(noto):
    a4 = build([[[("a4", pt(72), pt(72), noto, pt(10))]]], page_size=A4)
    letter = build([[[("letter", pt(72), pt(72), noto, pt(10))]]], page_size=LETTER)
    pdf = open_pdf(write_pdf(a4, letter))
    assert [float(v) for v in pdf.pages[0].MediaBox] == pytest.approx([0, 0, 595.276, 841.89])
    assert [float(v) for v in pdf.pages[1].MediaBox] == pytest.approx([0, 0, 612, 792])


def test_write_returns_each_documents_extent(noto):
    docs = [[[(f"doc {d} page {p}", pt(72), pt(72), noto, pt(10))] for p in range(d + 1)] for d in range(3)]
    out = io.BytesIO()
    w = PdfWriter(out)
    first = w.write(build(docs))
    second = w.write(build(docs[:1]))
    w.close()
    data = out.getvalue()
    assert [(e.first_page, e.pages) for e in first] == [(0, 1), (1, 2), (3, 3)]
    assert [(e.first_page, e.pages) for e in second] == [(6, 1)]
    for e in first + second:
        doc = data[e.offset : e.offset + e.length]
        assert doc.startswith(b"%%ccmcore-document %d\n" % e.record)
        assert len(re.findall(rb"\d+ 0 obj\n<</Type/Page/", doc)) == e.pages
        assert doc.endswith(b"endstream\nendobj\n")
    # documents' byte ranges follow one another
    offs = [e.offset for e in first + second]
    assert offs == sorted(offs) and len(set(offs)) == 4


def test_text_extracts_with_diacritics(noto, noto_bold):
    dl = one_page(
        [
            Text("Łukasz Öztürk", pt(72), pt(100), noto, pt(12)),
            Text("Chloé Ångström", pt(72), pt(130), noto_bold, pt(14), color=0x336699),
        ]
    )
    (text,) = page_texts(write_pdf(dl))
    assert text.split() == ["Łukasz", "Öztürk", "Chloé", "Ångström"]


def test_same_input_gives_identical_bytes(noto):
    dl = one_page([Text("Chloé", pt(72), pt(100), noto, pt(12)), Rule(pt(72), pt(110), pt(200), 0)])
    a, b = write_pdf(dl, title="Statements"), write_pdf(dl, title="Statements")
    assert a == b
    assert b"CreationDate" not in a


def _file_id(pdf: bytes) -> str:
    cut = pdf.rindex(b"trailer\n")
    return re.search(rb"/ID\[<([0-9A-F]{32})><\1>\]", pdf[cut:]).group(1).decode()


def test_file_id_follows_every_byte(noto):
    """The trailer ID is a digest of the file: of the bytes outside the documents and of
    each document's CRC-32, so a change anywhere gives another ID."""
    base = [Text("Chloé", pt(72), pt(100), noto, pt(12)), Rule(pt(72), pt(110), pt(200), 0)]
    ids = {
        _file_id(write_pdf(one_page(base), title="Statements")),
        _file_id(write_pdf(one_page(base), title="Statement")),  # outside the documents
        _file_id(write_pdf(one_page([base[0], Rule(pt(72), pt(111), pt(200), 0)]), title="Statements")),
        _file_id(write_pdf(one_page([Text("Chloe", pt(72), pt(100), noto, pt(12)), base[1]]), title="Statements")),
    }
    assert len(ids) == 4


def test_info_dictionary(noto):
    data = write_pdf(one_page([("x", pt(72), pt(72), noto, pt(10))]), title="Relevé (mars)", author="ACME")
    pdf = open_pdf(data)
    assert str(pdf.docinfo["/Title"]) == "Relevé (mars)"
    assert str(pdf.docinfo["/Author"]) == "ACME"
    assert str(pdf.docinfo["/Producer"]) == "ccmcore"


def test_uncompressed_and_compressed_render_the_same(noto):
    dl = one_page([Text("Total due 1,234.56", pt(72), pt(100), noto, pt(10))])
    raw, packed = write_pdf(dl, compress_level=None), write_pdf(dl, compress_level=1)
    assert len(packed) < len(raw)
    assert page_texts(raw) == page_texts(packed)
    with pytest.raises(ValueError):
        PdfWriter(io.BytesIO(), compress_level=9)


# ---------------------------------------------------------------------------- fonts


def _font_dicts(pdf: pikepdf.Pdf):
    return [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"]


def test_font_is_subset_and_keeps_glyph_ids(noto):
    words = "Invoice Łukasz"
    dl = one_page([Text(words, pt(72), pt(100), noto, pt(12))])
    pdf = open_pdf(write_pdf(dl))
    (type0,) = _font_dicts(pdf)
    assert re.fullmatch(r"/[A-Z]{6}\+NotoSans-Regular", str(type0.BaseFont))
    cid = type0.DescendantFonts[0]
    assert cid.Subtype == "/CIDFontType2" and cid.CIDToGIDMap == "/Identity"
    desc = cid.FontDescriptor
    assert int(desc.Flags) & 4 and not int(desc.Flags) & 32
    assert int(desc.Ascent) == noto.ascender and int(desc.CapHeight) == noto.cap_height
    program = desc.FontFile2.read_bytes()
    assert int(desc.FontFile2.Length1) == len(program)
    assert len(program) < len(noto.data) / 5
    tt = TTFont(io.BytesIO(program))
    assert "GSUB" not in tt and "GPOS" not in tt
    glyf, order = tt["glyf"], tt.getGlyphOrder()
    used = set(noto.shape(words).gids.tolist())
    for gid in used - {noto.cmap[ord(" ")]}:
        assert glyf[order[gid]].numberOfContours != 0  # same glyph id, still drawn
    unused = noto.cmap[ord("Z")]
    assert unused not in used
    assert unused >= len(order) or glyf[order[unused]].numberOfContours == 0


def test_widths_array_matches_font(noto):
    dl = one_page([Text("AVATAR", pt(72), pt(100), noto, pt(12))])
    pdf = open_pdf(write_pdf(dl))
    w = _font_dicts(pdf)[0].DescendantFonts[0].W
    widths = pdf_widths(noto)
    declared = {}
    items = list(w)
    k = 0
    while k < len(items):
        if isinstance(items[k + 1], pikepdf.Array):
            for j, v in enumerate(items[k + 1]):
                declared[int(items[k]) + j] = int(v)
            k += 2
        else:
            for g in range(int(items[k]), int(items[k + 1]) + 1):
                declared[g] = int(items[k + 2])
            k += 3
    gids = set(noto.shape("AVATAR").gids.tolist())
    assert set(declared) == gids
    assert all(declared[g] == widths[g] for g in gids)


def test_width_array_compacts_runs():
    widths = np.array([0, 500, 500, 500, 500, 600, 700, 0, 0, 250], dtype=np.int32)
    assert width_array(np.array([1, 2, 3, 4, 5, 6, 9]), widths) == b"[1 4 500 5[600 700] 9[250]]"
    assert width_array(np.array([], dtype=np.int64), widths) == b"[]"


class _FakeFont:
    def __init__(self, texts):
        self.texts = texts

    def unicode_for(self, gid):
        return self.texts.get(gid)


def test_to_unicode_cmap_ranges_ligatures_and_surrogates():
    fake = _FakeFont({3: "A", 4: "B", 5: "C", 9: "fi", 10: "\U0001f600", 11: "x"})
    cmap = to_unicode_cmap(fake, np.array([0, 3, 4, 5, 9, 10, 11, 12])).decode()
    assert "<0003> <0005> <0041>" in cmap  # consecutive glyphs, consecutive letters
    assert "<0009> <00660069>" in cmap  # a ligature maps to both letters
    assert "<000A> <D83DDE00>" in cmap  # beyond the BMP: a surrogate pair
    assert "<000B> <0078>" in cmap
    mappings = cmap.split("endcodespacerange")[1]
    assert "<000C>" not in mappings and "<0000>" not in mappings  # unknown glyphs are not mapped
    assert "3 beginbfchar" in cmap and "1 beginbfrange" in cmap


def test_to_unicode_cmap_splits_blocks_of_100():
    fake = _FakeFont({g: chr(0x4E00 + 2 * g) for g in range(1, 251)})  # never consecutive
    cmap = to_unicode_cmap(fake, np.arange(1, 251)).decode()
    assert cmap.count("beginbfchar") == 3 and "50 beginbfchar" in cmap


def test_multi_batch_shares_one_font_object(noto, noto_bold):
    one = build([[[("first batch", pt(72), pt(100), noto, pt(10))]]])
    two = build([[[("second batch", pt(72), pt(100), noto, pt(10)), ("bold", pt(72), pt(120), noto_bold, pt(10))]]])
    data = write_pdf(one, two)
    pdf = open_pdf(data)
    fonts = _font_dicts(pdf)
    assert sorted(str(f.BaseFont).split("+")[1] for f in fonts) == ["NotoSans-Bold", "NotoSans-Regular"]
    regular = [f for f in fonts if str(f.BaseFont).endswith("NotoSans-Regular")][0]
    refs = [page.Resources.Font for page in pdf.pages]
    assert refs[0].objgen == refs[1].objgen  # one shared resources dictionary
    assert refs[0].F0.objgen == regular.objgen
    # the one embedded regular font covers the glyphs of both batches
    assert page_texts(data)[0].split() == ["first", "batch"]
    assert page_texts(data)[1].split() == ["second", "batch", "bold"]
    assert data.count(b"/FontFile2") == 2


def test_unused_font_is_not_embedded(noto, noto_bold):
    dl = one_page([Text("only regular", pt(72), pt(100), noto, pt(10))])
    dl.fonts.append(noto_bold)  # listed in the display list, never drawn with
    pdf = open_pdf(write_pdf(dl))
    assert [str(f.BaseFont).split("+")[1] for f in _font_dicts(pdf)] == ["NotoSans-Regular"]


def test_built_truetype_font_upem_2048_lands_glyphs_exactly():
    font = make_font(2048)
    widths = pdf_widths(font)
    # the rounded /W widths differ from the exact ones: positions rely on TJ adjustments
    assert any(w * 2048 != a * 1000 for w, a in zip(widths[1:], font.advances[1:]))
    line = "The quick brown fox jumps over the lazy dog again and again"
    dl = one_page([Text(line, pt(40), pt(100), font, pt(11))])
    data = write_pdf(dl)
    open_pdf(data)
    x = pt(40) + np.concatenate([[0], np.cumsum(dl.advances)[:-1]])
    seen = [(c, cx) for c, cx, _ in char_origins(data) if c.strip()]
    expected = [(c, xx / 1000) for c, xx in zip(line, x.tolist()) if c != " "]
    assert [c for c, _ in seen] == [c for c, _ in expected]
    assert max(abs(a - b) for (_, a), (_, b) in zip(seen, expected)) < 0.05


def test_cff_font_embeds_as_opentype():
    font = make_font(1000, cff=True, ps_name="CcmTestCff-Regular")
    dl = one_page([Text("Hello CFF World", pt(72), pt(100), font, pt(12))])
    data = write_pdf(dl)
    pdf = open_pdf(data)
    cid = _font_dicts(pdf)[0].DescendantFonts[0]
    assert cid.Subtype == "/CIDFontType0"
    assert cid.FontDescriptor.FontFile3.Subtype == "/OpenType"
    assert page_texts(data)[0].split() == ["Hello", "CFF", "World"]


# ---------------------------------------------------------------------------- content


def test_kerned_pair_gets_tj_adjustment_and_lands_where_layout_put_it(noto):
    size = pt(24)
    gids, advs = shaped_advances(noto, "AVATAR", size)
    nominal = pdf_widths(noto)[gids] * size // 1000
    assert (advs != nominal).any()  # precondition: HarfBuzz kerned A-V / V-A
    x0, y0 = pt(100), pt(200)
    dl = one_page([Text("AVATAR", x0, y0, noto, size)])
    data = write_pdf(dl, compress_level=None)
    pdf = open_pdf(data)
    tj = [operands[0] for op, operands in content_ops(pdf) if op == "TJ"]
    assert len(tj) == 1
    adjust = [int(e) for e in tj[0] if not isinstance(e, pikepdf.String)]
    assert adjust and all(adjust)
    # together the adjustments close the gap between /W widths and layout's advances
    w = pdf_widths(noto)[gids].astype(np.int64)
    gap = int(w[:-1].sum()) * size - int(advs[:-1].sum()) * 1000
    assert sum(adjust) == round(gap / size)
    origins = char_origins(data)
    assert "".join(c for c, _, _ in origins) == "AVATAR"
    expected_last = (x0 + int(advs[:-1].sum())) / 1000
    assert abs(origins[-1][1] - expected_last) < 0.5
    # every glyph, not just the last one
    starts = (x0 + np.concatenate([[0], np.cumsum(advs)[:-1]])) / 1000
    assert np.allclose([o[1] for o in origins], starts, atol=0.05)
    assert origins[0][2] == pytest.approx((A4[1] - y0) / 1000, abs=0.01)


def test_justified_spacing_moves_words(noto):
    size = pt(10)
    dl = one_page([Text("wide apart", pt(50), pt(100), noto, size)])
    space = list(dl.text.decode()).index(" ")
    dl.advances[space] += pt(30)  # justification widened the space by 30 pt
    dl.items[0, D.W] += pt(30)
    data = write_pdf(dl)
    origins = [o for o in char_origins(data) if o[0].strip()]
    a = [o for o in origins if o[0] == "a"][0]  # first letter of "apart"
    expected = (pt(50) + int(dl.advances[: space + 1].sum())) / 1000
    assert abs(a[1] - expected) < 0.05
    assert page_texts(data)[0].split() == ["wide", "apart"]


def test_rules_and_rects_in_content_stream(noto):
    h = A4[1]
    dl = one_page(
        [
            Text("x", pt(10), pt(10), noto, pt(10), color=0xFF0000),
            Rule(pt(72), pt(100), pt(200), 0, width=pt(0.5), color=0x0000FF),
            Rect(pt(72), pt(200), pt(100), pt(50), fill=0x00FF00),
            Rect(pt(300), pt(200), pt(100), pt(50), stroke=0x000000, width=pt(1)),
            Rect(pt(72), pt(300), pt(100), pt(50), fill=0xFFFFFF, stroke=0xFF0000, width=pt(2)),
            Rect(pt(72), pt(400), pt(10), pt(10)),  # neither fill nor stroke: nothing drawn
        ]
    )
    pdf = open_pdf(write_pdf(dl))
    ops = content_ops(pdf)
    names = [op for op, _ in ops]
    assert ops[0][0] == "cm" and [float(v) for v in ops[0][1]] == [0.001, 0, 0, 0.001, 0, 0]

    def ints(args):
        return [int(a) for a in args]

    assert ("m", [72000, h - 100000]) in [(op, ints(a)) for op, a in ops if op == "m"]
    assert ("l", [272000, h - 100000]) in [(op, ints(a)) for op, a in ops if op == "l"]
    res = [ints(a) for op, a in ops if op == "re"]
    assert res == [
        [72000, h - 250000, 100000, 50000],
        [300000, h - 250000, 100000, 50000],
        [72000, h - 350000, 100000, 50000],
    ]
    paint = [op for op in names if op in ("f", "S", "B")]
    assert paint == ["S", "f", "S", "B"]
    assert [ints(a) for op, a in ops if op == "w"] == [[500], [1000], [2000]]
    assert [[float(v) for v in a] for op, a in ops if op == "RG"] == [[0, 0, 1], [0, 0, 0], [1, 0, 0]]
    assert [[float(v) for v in a] for op, a in ops if op == "rg"] == [[1, 0, 0], [0, 1, 0], [1, 1, 1]]
    # text objects are closed before any path
    assert names.index("ET") < names.index("m")


def test_font_and_colour_not_repeated_needlessly(noto):
    dl = one_page([Text(f"line {i}", pt(72), pt(100 + 12 * i), noto, pt(10)) for i in range(5)])
    pdf = open_pdf(write_pdf(dl))
    names = [op for op, _ in content_ops(pdf)]
    assert names.count("Tf") == 1 and names.count("rg") == 1 and names.count("BT") == 1
    assert names.count("Td") == 5 and names.count("TJ") == 5
    assert page_texts(write_pdf(dl))[0].split() == [w for i in range(5) for w in ("line", str(i))]


# ---------------------------------------------------------------------------- page tree


def _check_tree(node, parent, depth=0):
    """Returns the pages under node; checks /Count, /Parent and the fan-out."""
    if node.Type == "/Page":
        assert node.Parent.objgen == parent.objgen
        return 1
    assert len(node.Kids) <= 256
    if parent is not None:
        assert node.Parent.objgen == parent.objgen
    total = sum(_check_tree(kid, node, depth + 1) for kid in node.Kids)
    assert int(node.Count) == total
    return total


@pytest.mark.parametrize("n_pages", [1, 256, 257, 600])
def test_page_tree_is_balanced(noto, n_pages):
    docs = [[[(f"page {i}", pt(72), pt(72), noto, pt(10))]] for i in range(n_pages)]
    dl = build(docs)
    data = write_pdf(dl)
    pdf = open_pdf(data)
    assert len(pdf.pages) == n_pages
    root = pdf.Root.Pages
    assert _check_tree(root, None) == n_pages
    if n_pages > 256:
        assert len(root.Kids) == -(-n_pages // 256)
    texts = page_texts(data)
    assert texts[0].split() == ["page", "0"] and texts[-1].split() == ["page", str(n_pages - 1)]


def test_deep_page_tree_above_65536_pages(monkeypatch):
    # the three-level case, made small: fewer kids per node, same code path
    from ccmcore.pdf import writer as W

    monkeypatch.setattr(W, "FANOUT", 4)
    dl = build([[[]] for _ in range(70)])
    pdf = open_pdf(write_pdf(dl))
    assert len(pdf.pages) == 70
    assert _check_tree(pdf.Root.Pages, None) == 70
    assert len(pdf.Root.Pages.Kids) <= 4


# ---------------------------------------------------------------------------- errors


def test_bad_display_lists_are_rejected(noto):
    dl = one_page([Text("x", pt(72), pt(72), noto, pt(10))])
    w = PdfWriter(io.BytesIO())
    bad_font = one_page([Text("x", pt(72), pt(72), noto, pt(10))])
    bad_font.items[0, D.FONT] = 3
    with pytest.raises(ValueError, match="font index 3"):
        w.write(bad_font)
    bad_glyphs = one_page([Text("x", pt(72), pt(72), noto, pt(10))])
    bad_glyphs.items[0, D.GN] = 50
    with pytest.raises(ValueError, match="glyph slice"):
        w.write(bad_glyphs)
    bad_page = one_page([Text("x", pt(72), pt(72), noto, pt(10))])
    bad_page.pages[0, D.WIDTH] = 0
    with pytest.raises(ValueError, match="WIDTH"):
        w.write(bad_page)
    assert w.page_count == 0  # nothing half-written
    w.write(dl)
    w.close()
    with pytest.raises(ValueError, match="closed"):
        w.write(dl)


def test_failed_job_leaves_no_complete_looking_file(noto, tmp_path):
    path = tmp_path / "out.pdf"
    with pytest.raises(RuntimeError):
        with PdfWriter(path) as w:
            w.write(one_page([Text("x", pt(72), pt(72), noto, pt(10))]))
            raise RuntimeError("layout failed")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and b"%%EOF" not in data and b"trailer" not in data
    with PdfWriter(path) as w:
        w.write(one_page([Text("done", pt(72), pt(72), noto, pt(10))]))
    assert page_texts(path.read_bytes())[0].strip() == "done"


def test_no_pages_makes_no_file(tmp_path):
    # a PDF without pages is invalid (qpdf: "file does not contain any pages"; PDFium cannot open it)
    with pytest.raises(EmptyJobError, match="no page"):
        write_pdf()
    path = tmp_path / "none.pdf"
    with pytest.raises(EmptyJobError):
        with PdfWriter(path):
            pass
    assert not path.exists()


def test_large_batch_is_written_in_chunks_with_right_offsets(noto):
    line = "Statement line with enough glyphs to make the page heavy " * 4
    docs = [[[(line, pt(20), pt(50 + 12 * r), noto, pt(8)) for r in range(8)]] for _ in range(300)]
    out = io.BytesIO()
    w = PdfWriter(out, compress_level=None)
    firsts = w.write(build(docs))
    assert w.tell > 2 << 20  # crossed the 1 MB flush threshold twice
    w.close()
    data = out.getvalue()
    pdf = open_pdf(data)  # qpdf checks every xref offset
    assert len(pdf.pages) == 300
    assert all(re.match(rb"%ccmcore-document \d+\n\d+ 0 obj\n<</Type/Page/", data[e.offset :]) for e in firsts)


def test_write_failing_part_way_cannot_be_finished(noto, tmp_path):
    class FullDisk(io.BytesIO):
        fail = False

        def write(self, data):
            if self.fail:
                raise OSError(28, "No space left on device")
            return super().write(data)

    out = FullDisk()
    w = PdfWriter(out)
    w.write(one_page([Text("x", pt(72), pt(72), noto, pt(10))]))
    out.fail = True
    with pytest.raises(OSError):
        w.write(build([[[("p", pt(72), pt(72), noto, pt(10))]] for _ in range(5)]))
    out.fail = False
    with pytest.raises(ValueError, match="failed part-way"):
        w.write(one_page([Text("x", pt(72), pt(72), noto, pt(10))]))
    with pytest.raises(ValueError, match="unfinished"):
        w.close()
    assert b"%%EOF" not in out.getvalue()


def test_encoding_failing_leaves_the_file_as_it_was(noto, monkeypatch, tmp_path):
    """Pages are encoded before the file gets any of their bytes: a failure there (memory)
    leaves the writer able to go on, and the finished file holds only what was written."""
    from ccmcore.pdf import writer as W

    calls = []

    class Flaky:
        @staticmethod
        def compress(data, level):
            calls.append(1)
            if len(calls) == 3:
                raise MemoryError("simulated")
            return W.isal_zlib_real.compress(data, level)

    monkeypatch.setattr(W, "isal_zlib_real", W.isal_zlib, raising=False)
    monkeypatch.setattr(W, "isal_zlib", Flaky)
    path = tmp_path / "ok.pdf"
    w = PdfWriter(path)
    with pytest.raises(MemoryError):
        w.write(build([[[("p", pt(72), pt(72), noto, pt(10))]] for _ in range(5)]))
    w.write(one_page([Text("x", pt(72), pt(72), noto, pt(10))]))
    w.close()
    assert len(open_pdf(path.read_bytes()).pages) == 1


def test_mid_range_colours_survive_exactly(tmp_path):
    """Every 8-bit component comes back from the PDF operator (0.91 for 232, not 0 or 1)."""
    from dl_helpers import Rect, one_page

    from ccmcore.pdf._content import ContentBuilder  # noqa: F401  (the module under test)

    colours = [0x3A5A8C, 0xE8EEF7, 0x010203, 0x808080]
    dl = one_page([Rect(72000 + 10000 * i, 100000, 5000, 5000, fill=c) for i, c in enumerate(colours)])
    buf = io.BytesIO()
    w = PdfWriter(buf)
    w.write(dl)
    w.close()
    pdf = open_pdf(buf.getvalue())
    fills = [[round(float(v) * 255) for v in a] for op, a in content_ops(pdf) if op == "rg"]
    assert fills == [[(c >> 16) & 255, (c >> 8) & 255, c & 255] for c in colours]
