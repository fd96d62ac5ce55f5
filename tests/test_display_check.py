"""The pieces both backends share: DisplayList.check, the compiled view of the display
list (_display.pxd), Font.subset, jpeg_header, and the AFP writer's tag encoding."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import uharfbuzz as hb
from dl_helpers import Picture, Place, Rect, Rule, Text, build, make_overlay, one_page, pt
from PIL import Image as PILImage

from ccmcore import display as D
from ccmcore.afp import AfpWriter
from ccmcore.afp import writer as afp_writer
from ccmcore.fonts import SUBSET_DROP_TABLES, default_family
from ccmcore.images import Image, ImageError, JpegHeader, jpeg_header
from ccmcore.pdf import PdfWriter

PXD = Path(D.__file__).with_name("_display.pxd")


@pytest.fixture(scope="module")
def noto():
    return default_family().regular


@pytest.fixture(scope="module")
def logo():
    buf = io.BytesIO()
    PILImage.new("RGB", (8, 6), (200, 30, 30)).save(buf, "PNG")
    return Image(buf.getvalue(), "logo.png")


def sample(noto, logo) -> D.DisplayList:
    ov = make_overlay("OV", [Text("over", 0, pt(10), noto, pt(9))], (pt(100), pt(20)))
    return build(
        [
            [
                [
                    Text("Hello", pt(10), pt(20), noto, pt(10)),
                    Rule(0, pt(30), pt(50), 0),
                    Picture(logo, 0, 0, pt(8), pt(6)),
                ],
                [Text("page two", pt(10), pt(20), noto, pt(10)), Place(ov, 0, pt(40))],
            ],
            [[Rect(0, 0, pt(20), pt(10), fill=0xFF0000), Text("doc two", pt(10), pt(20), noto, pt(12))]],
        ]
    )


# ---------------------------------------------------------------------------- _display.pxd


def pxd_enums() -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^\s+(\w+)\s*=\s*(\d+)\s*$", PXD.read_text(), re.M)}


def test_pxd_mirrors_display_constants():
    got = pxd_enums()
    want = {f"K_{k}": getattr(D, k) for k in ("GLYPHS", "RULE", "RECT", "IMAGE", "OVERLAY")}
    want |= {
        f"C_{k}": getattr(D, k)
        for k in ("KIND", "X", "Y", "W", "H", "FONT", "SIZE", "COLOR", "COLOR2", "G0", "GN", "T0", "TN")
    }
    want |= {f"PG_{k}": getattr(D, k) for k in ("DOC", "NUMBER", "COUNT", "TEMPLATE", "WIDTH", "HEIGHT", "I0", "IN")}
    want |= {f"D_{k}": getattr(D, k) for k in ("RECORD", "P0", "PN")}
    want |= {k: getattr(D, k) for k in ("ITEM_FIELDS", "PAGE_FIELDS", "DOC_FIELDS", "STRUCT_FIELDS")}
    want |= {f"TAG_{k}": getattr(D, f"TAG_{k}") for k in ("DECOR", "REPEAT", "BULLET", "FIXED", "BARCODE")}
    assert got == want


def test_backends_and_kernel_take_the_kinds_from_the_pxd():
    src = Path(D.__file__).parent
    for path in ("afp/_ptx.pyx", "pdf/_content.pyx", "pdf/_nodes.pyx", "_layout.pyx"):
        text = (src / path).read_text()
        assert "from ccmcore._display cimport" in text, path
        assert not re.search(r"^\s+(K_)?GLYPHS\s*=", text, re.M), f"{path} declares the item kinds again"


# ---------------------------------------------------------------------------- DisplayList.check


def test_check_returns_the_arrays_the_backends_take(noto, logo):
    dl = sample(noto, logo)
    a = dl.check()
    assert isinstance(a, D.DisplayArrays)
    assert a.items.dtype == np.int32 and a.items.flags.c_contiguous and a.items.shape[1] == D.ITEM_FIELDS
    assert a.gids.dtype == np.uint16 and a.advances.dtype == np.int32
    assert a.pages.dtype == np.int64 and a.pages.shape == (3, D.PAGE_FIELDS)
    assert a.docs.dtype == np.int64 and a.docs.shape == (2, D.DOC_FIELDS)
    assert bytes(a.text) == dl.text
    assert a.glyph_rows.tolist() == np.flatnonzero(dl.items[:, D.KIND] == D.GLYPHS).tolist()
    assert a.glyph_fonts.tolist() == dl.items[a.glyph_rows, D.FONT].tolist() == [0, 0, 0]
    assert np.shares_memory(a.items, dl.items)  # no copy when the dtype is right


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda dl: setattr(dl, "advances", dl.advances[:-1]), "glyph ids but"),
        (lambda dl: dl.items.__setitem__((0, D.GN), 10**6), "glyph slice lies outside"),
        (lambda dl: dl.items.__setitem__((0, D.T0), -1), "text slice lies outside"),
        (
            lambda dl: dl.items.__setitem__((3, D.FONT), 1),
            "GLYPHS item uses font index 1, but the display list has 1 font",
        ),
        (lambda dl: dl.pages.__setitem__((0, D.IN), 10**6), "page's item slice lies outside"),
        (lambda dl: dl.pages.__setitem__((1, D.HEIGHT), 0), "positive WIDTH and HEIGHT"),
        (lambda dl: dl.docs.__setitem__((1, D.P0), 7), "document's page slice lies outside"),
        (lambda dl: dl.items.__setitem__((2, D.FONT), 1), "IMAGE item uses index 1, but the display list has 1 images"),
        (lambda dl: dl.items.__setitem__((2, D.W), 0), "IMAGE item needs a positive width and height"),
        (lambda dl: dl.items.__setitem__((4, D.FONT), -1), "OVERLAY item uses index -1"),
        (lambda dl: dl.images.__setitem__(0, "logo.png"), r"images\[0\] is not a ccmcore.images.Image"),
        (lambda dl: dl.overlays.__setitem__(0, object()), r"overlays\[0\] is not a ccmcore.display.Overlay"),
    ],
)
def test_check_names_the_inconsistency(noto, logo, break_it, message):
    dl = sample(noto, logo)
    assert dl.items[2, D.KIND] == D.IMAGE and dl.items[4, D.KIND] == D.OVERLAY
    break_it(dl)
    with pytest.raises(ValueError, match=message):
        dl.check()


def test_check_options_leave_out_text_and_image_size(noto, logo):
    dl = sample(noto, logo)
    dl.items[0, D.TN] = 10**6
    dl.items[2, D.H] = -5
    with pytest.raises(ValueError, match="text slice"):
        dl.check()
    dl.check(text=False, image_size=False)  # what the PDF writer asks: it needs neither


def test_both_writers_reject_what_check_rejects(noto, logo):
    dl = sample(noto, logo)
    dl.pages[0, D.WIDTH] = 0
    for writer in (PdfWriter(io.BytesIO()), AfpWriter(io.BytesIO())):
        with pytest.raises(ValueError, match="positive WIDTH and HEIGHT"), writer:
            writer.write(dl)


def test_overlay_content_is_checked_with_its_name(noto, logo):
    ov = make_overlay("BAD", [Text("x", 0, pt(10), noto, pt(9))], (pt(50), pt(20)))
    ov.content.items[0, D.G0] = -3
    dl = one_page([Place(ov, 0, 0)])
    for writer in (PdfWriter(io.BytesIO()), AfpWriter(io.BytesIO())):
        with pytest.raises(ValueError, match="overlay 'BAD': a GLYPHS item's glyph slice"), writer:
            writer.write(dl)
    ov.content.items[0, D.G0] = 0
    ov.content.items[0, D.FONT] = 2
    for writer in (PdfWriter(io.BytesIO()), AfpWriter(io.BytesIO())):
        with pytest.raises(ValueError, match="overlay 'BAD': a GLYPHS item uses font index 2"), writer:
            writer.write(dl)


# ---------------------------------------------------------------------------- Font.subset


def test_subset_keeps_glyph_ids_and_drops_the_tables_asked(noto):
    gids = sorted({noto.cmap[ord(c)] for c in "Invoice 42"})
    data = noto.subset(np.array(gids))
    face = hb.Face(data)
    assert face.glyph_count == max(gids) + 1  # ids retained (the empty tail is cut)
    tags = set(face.table_tags)
    assert not tags & {t.decode() for t in SUBSET_DROP_TABLES}
    font = hb.Font(face)
    for g in range(max(gids) + 1):  # kept glyphs keep their outlines and advances, others are empty
        ext = font.get_glyph_extents(g)
        if g in gids:
            assert ext == noto.hb_font.get_glyph_extents(g)
            assert font.get_glyph_h_advance(g) == noto.advances[g]
        else:
            assert ext is None or ext.width == 0
    extra = noto.subset(gids, SUBSET_DROP_TABLES + (b"hmtx",))
    assert "hmtx" not in set(hb.Face(extra).table_tags) and "hmtx" in tags
    assert noto.subset(gids) == data  # deterministic, list or array alike


# ---------------------------------------------------------------------------- jpeg_header


def jpeg(mode="RGB", size=(5, 4), **kw) -> bytes:
    buf = io.BytesIO()
    PILImage.new(mode, size, 0).save(buf, "JPEG", **kw)
    return buf.getvalue()


def test_jpeg_header_reads_the_frame_and_markers():
    h = jpeg_header(jpeg())
    assert isinstance(h, JpegHeader)
    assert (h.width, h.height, h.bits, h.components, h.sof) == (5, 4, 8, 3, 0xC0)
    assert h.jfif and not h.adobe and h.adobe_transform == -1 and len(h.ids) == 3
    assert jpeg_header(jpeg(progressive=True)).sof == 0xC2
    cmyk = jpeg_header(jpeg("CMYK"))
    assert cmyk.components == 4 and cmyk.adobe and cmyk.adobe_transform in (0, 2)


def test_jpeg_header_errors_name_the_image():
    data = jpeg()
    sof = data.index(b"\xff\xc0")
    with pytest.raises(ImageError, match=r"^image logo.jpg: JPEG without a frame header"):
        jpeg_header(data[:sof], "logo.jpg")
    with pytest.raises(ImageError, match=r"^JPEG segment 0xE0 at byte 2 runs past the end"):
        jpeg_header(b"\xff\xd8\xff\xe0\xff\xff")
    with pytest.raises(ImageError, match="no SOI marker"):
        jpeg_header(b"\x89PNG")


# ---------------------------------------------------------------------------- AFP tags


def test_cp500_translation_is_the_codec():
    latin1 = "".join(map(chr, range(256)))
    assert latin1.encode("latin-1").translate(afp_writer._CP500) == latin1.encode("cp500")
    with pytest.raises(UnicodeEncodeError):
        "\u0100".encode("cp500")


def tle_values(data: bytes) -> list[tuple[int, bytes]]:
    """(CCSID, value bytes) of each TLE in an AFP stream, in order."""
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i + 1 : i + 3], "big")
        if data[i + 3 : i + 6] == b"\xd3\xa0\x90":
            body, k, ccsid = data[i + 9 : i + 1 + n], 0, None
            while k < len(body):
                tn, tid = body[k], body[k + 1]
                if tid == 0x01:
                    ccsid = int.from_bytes(body[k + 4 : k + 6], "big")
                elif tid == 0x36:
                    out.append((ccsid, body[k + 4 : k + tn]))
                k += tn
        i += 1 + n
    return out


@pytest.mark.parametrize(
    "values",
    [
        ["A-100", "Zoë", "Straße €"],  # all code page 500 but €: the batch goes value by value
        ["plain", "", "ascii"],  # one codec call for the batch
        [None, 42, "x\x00y"],  # not strings, a NUL
    ],
)
def test_tag_values_are_encoded_like_the_codec(noto, values):
    dl = build([[[Text("a", 0, pt(10), noto, pt(10))]]] * len(values))
    dl.tags = {"Name": list(values), "Kunde Nr.": [f"K{i}" for i in range(len(values))]}
    out = io.BytesIO()
    w = AfpWriter(out)
    w.write(dl)
    w.close()
    got = tle_values(out.getvalue())
    want = []
    for i, v in enumerate(values):
        v = "" if v is None else str(v)
        try:
            want.append((500, v.encode("cp500")))
        except UnicodeEncodeError:
            want.append((1200, v.encode("utf-16-be")))
        want.append((500, f"K{i}".encode("cp500")))
    assert got == want


def test_too_long_tag_value_names_the_first_record_that_has_one(noto):
    dl = build([[[Text("a", 0, pt(10), noto, pt(10))]]] * 4, records=[10, 11, 12, 13])
    dl.tags = {"A": ["ok", "ok", "x" * 251, "ok"], "B": ["ok", "\u0100" * 126, "ok", "y" * 300]}
    with pytest.raises(ValueError, match=r"record 11: tag 'B' value of 126 characters"), AfpWriter(io.BytesIO()) as w:
        w.write(dl)
