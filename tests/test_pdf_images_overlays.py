"""PDF backend: images (JPEG as is, PNG with soft masks) and overlays (Form XObjects),
each stored once per job; checked with pikepdf/qpdf, pypdfium2 text and rendering."""

from __future__ import annotations

import io

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from dl_helpers import A4, Picture, Place, Rect, Rule, Text, build, make_overlay, one_page, pt
from PIL import Image as PILImage

from ccmcore import display as D
from ccmcore.errors import EmptyJobError
from ccmcore.fonts import default_family
from ccmcore.images import Image, ImageError
from ccmcore.pdf import PdfWriter
from ccmcore.pdf.images import encode_image, jpeg_info

PAGE_H = A4[1]
RED = (200, 30, 40)
BLUE = (20, 40, 230)


# ---------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def noto():
    return default_family().regular


@pytest.fixture(scope="module")
def noto_bold():
    return default_family().bold


def pil_bytes(im: PILImage.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def jpeg() -> Image:
    """A plain red RGB JPEG, 40 x 30 pixels."""
    return Image(pil_bytes(PILImage.new("RGB", (40, 30), RED), "JPEG", quality=95), "red.jpg")


@pytest.fixture(scope="module")
def png_alpha() -> Image:
    """48 x 32 RGBA PNG: left half opaque blue, right half fully transparent."""
    px = np.zeros((32, 48, 4), np.uint8)
    px[:, :24] = (*BLUE, 255)
    px[:, 24:] = (255, 0, 0, 0)  # red under a zero alpha: must not show
    return Image(pil_bytes(PILImage.fromarray(px, "RGBA"), "PNG"), "blue.png")


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


def streams(pdf: pikepdf.Pdf, subtype: str) -> list[pikepdf.Stream]:
    return [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == subtype]


def placements(pdf: pikepdf.Pdf, page: int) -> list[tuple[str, list[float]]]:
    """(XObject name, cm operands) of each ``q ... cm /Name Do Q`` on a page, after the
    page's own ``0.001 0 0 0.001 0 0 cm``."""
    ops = []
    for ins in pikepdf.parse_content_stream(pdf.pages[page]):
        op = str(ins.operator)
        ops.append((op, [float(v) for v in ins.operands] if op == "cm" else [str(v) for v in ins.operands]))
    assert ops[0] == ("cm", [0.001, 0, 0, 0.001, 0, 0])
    out = []
    for k, (op, args) in enumerate(ops):
        if op == "Do":
            assert ops[k - 2][0] == "q" and ops[k - 1][0] == "cm" and ops[k + 1][0] == "Q"
            out.append((str(args[0]), ops[k - 1][1]))
    return out


def render(data: bytes, page: int = 0, scale: float = 2.0) -> np.ndarray:
    """RGB pixels of a page, ``scale`` pixels per point."""
    doc = pdfium.PdfDocument(data)
    try:
        return np.asarray(doc[page].render(scale=scale).to_pil().convert("RGB"))
    finally:
        doc.close()


def pixel(px: np.ndarray, x_mpt: int, y_mpt: int, scale: float = 2.0) -> tuple[int, int, int]:
    """The rendered colour at a display-list position (mpt from the top-left)."""
    return tuple(int(v) for v in px[int(y_mpt / 1000 * scale), int(x_mpt / 1000 * scale)])


def close_to(c, want, tol=8) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(c, want))


def page_texts(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def char_boxes(data: bytes, page: int = 0) -> list[tuple[str, tuple]]:
    doc = pdfium.PdfDocument(data)
    try:
        tp = doc[page].get_textpage()
        return [
            (tp.get_text_range(i, 1), tuple(round(v, 2) for v in tp.get_charbox(i))) for i in range(tp.count_chars())
        ]
    finally:
        doc.close()


# ---------------------------------------------------------------------------- images


def image_pages(jpeg, png):
    """Two batches of one document with two pages each; both images on every page,
    at positions and sizes that differ from page to page."""

    def page(k):
        return [
            Picture(jpeg, pt(60 + 10 * k), pt(80), pt(120), pt(90)),
            Picture(png, pt(300), pt(200 + 20 * k), pt(144), pt(96)),
            Text(f"page {k}", pt(60), pt(400), default_family().regular, pt(12)),
        ]

    return build([[page(0), page(1)]]), build([[page(2), page(3)]])


def test_images_are_stored_once_and_placed_on_every_page(jpeg, png_alpha):
    b1, b2 = image_pages(jpeg, png_alpha)
    data = write_pdf(b1, b2)
    pdf = open_pdf(data)
    assert len(pdf.pages) == 4

    images = streams(pdf, "/Image")
    masks = [o for o in images if any(i.get("/SMask") is not None and i.SMask.objgen == o.objgen for i in images)]
    shown = [o for o in images if o not in masks]
    assert len(shown) == 2 and len(masks) == 1  # one XObject per image, one mask

    jpg_obj = next(o for o in shown if o.Filter == "/DCTDecode")
    assert jpg_obj.read_raw_bytes() == jpeg.data  # embedded as is
    assert (jpg_obj.Width, jpg_obj.Height, jpg_obj.ColorSpace, jpg_obj.BitsPerComponent) == (40, 30, "/DeviceRGB", 8)
    assert "/SMask" not in jpg_obj and "/Decode" not in jpg_obj

    png_obj = next(o for o in shown if o.Filter == "/FlateDecode")
    assert (png_obj.Width, png_obj.Height, png_obj.ColorSpace) == (48, 32, "/DeviceRGB")
    rgb = np.frombuffer(png_obj.read_bytes(), np.uint8).reshape(32, 48, 3)
    assert (rgb[:, :24] == BLUE).all()
    mask = png_obj.SMask
    assert (mask.Width, mask.Height, mask.ColorSpace, mask.BitsPerComponent) == (48, 32, "/DeviceGray", 8)
    alpha = np.frombuffer(mask.read_bytes(), np.uint8).reshape(32, 48)
    assert (alpha[:, :24] == 255).all() and (alpha[:, 24:] == 0).all()

    for k in range(4):
        xobjs = pdf.pages[k].Resources.XObject
        names = {str(n): xobjs[n].objgen for n in xobjs.keys()}
        assert names == {"/Im0": jpg_obj.objgen, "/Im1": png_obj.objgen}
        # q W 0 0 H X Y cm with Y the lower edge in PDF's y-up millipoints
        assert placements(pdf, k) == [
            ("/Im0", [pt(120), 0, 0, pt(90), pt(60 + 10 * k), PAGE_H - pt(80) - pt(90)]),
            ("/Im1", [pt(144), 0, 0, pt(96), pt(300), PAGE_H - pt(200 + 20 * k) - pt(96)]),
        ]

        px = render(data, k)
        assert close_to(pixel(px, pt(60 + 10 * k) + pt(60), pt(80) + pt(45)), RED)
        # the PNG: opaque blue on the left, the page's white through the transparent half
        assert close_to(pixel(px, pt(300) + pt(36), pt(200 + 20 * k) + pt(48)), BLUE, 2)
        assert pixel(px, pt(300) + pt(108), pt(200 + 20 * k) + pt(48)) == (255, 255, 255)
        assert pixel(px, pt(300) - pt(5), pt(200 + 20 * k) + pt(48)) == (255, 255, 255)


def test_equal_image_files_share_one_xobject(jpeg):
    twin = Image(jpeg.data, "another-name.jpg")
    data = write_pdf(
        one_page([Picture(jpeg, 0, 0, pt(10), pt(10))]), one_page([Picture(twin, pt(20), 0, pt(10), pt(10))])
    )
    pdf = open_pdf(data)
    assert len(streams(pdf, "/Image")) == 1
    assert pdf.pages[0].Resources.XObject.Im0.objgen == pdf.pages[1].Resources.XObject.Im0.objgen


def test_cmyk_jpeg_with_adobe_marker_is_inverted_back():
    # Pillow (libjpeg) writes CMYK JPEG as Adobe does: inverted, with an APP14 marker
    data = pil_bytes(PILImage.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    img = Image(data, "cmyk.jpg")
    assert jpeg_info(data).adobe and jpeg_info(data).components == 4
    pdf_bytes = write_pdf(one_page([Picture(img, pt(100), pt(100), pt(50), pt(50))]))
    pdf = open_pdf(pdf_bytes)
    obj = streams(pdf, "/Image")[0]
    assert obj.ColorSpace == "/DeviceCMYK" and obj.Filter == "/DCTDecode"
    assert [int(v) for v in obj.Decode] == [1, 0, 1, 0, 1, 0, 1, 0]
    r, g, b = pixel(render(pdf_bytes), pt(125), pt(125))
    assert r > 200 and g < 60 and b < 60  # magenta + yellow = red, not its inverse (cyan)


def test_grey_jpeg_and_grey_png_with_alpha():
    grey_jpg = Image(pil_bytes(PILImage.new("L", (8, 8), 90), "JPEG", quality=95), "g.jpg")
    la = np.zeros((8, 8, 2), np.uint8)
    la[..., 0] = 60
    la[..., 1] = 255
    la[4:, :, 1] = 0
    grey_png = Image(pil_bytes(PILImage.fromarray(la, "LA"), "PNG"), "g.png")
    data = write_pdf(
        one_page(
            [Picture(grey_jpg, pt(10), pt(10), pt(80), pt(80)), Picture(grey_png, pt(100), pt(10), pt(80), pt(80))]
        )
    )
    pdf = open_pdf(data)
    xo = pdf.pages[0].Resources.XObject
    assert xo.Im0.ColorSpace == "/DeviceGray" and xo.Im0.Filter == "/DCTDecode"
    assert xo.Im1.ColorSpace == "/DeviceGray" and xo.Im1.SMask.ColorSpace == "/DeviceGray"
    px = render(data)
    assert close_to(pixel(px, pt(50), pt(50)), (90, 90, 90), 4)
    assert close_to(pixel(px, pt(140), pt(30)), (60, 60, 60), 2)
    assert pixel(px, pt(140), pt(70)) == (255, 255, 255)


def test_opaque_and_palette_pngs():
    opaque = Image(pil_bytes(PILImage.new("RGB", (4, 4), (10, 200, 10)), "PNG"), "o.png")
    pal = PILImage.new("P", (4, 4), 1)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    pal.info["transparency"] = 0
    pal_png = Image(pil_bytes(pal, "PNG", transparency=0), "p.png")
    data = write_pdf(
        one_page([Picture(opaque, pt(10), pt(10), pt(40), pt(40)), Picture(pal_png, pt(60), pt(10), pt(40), pt(40))])
    )
    pdf = open_pdf(data)
    xo = pdf.pages[0].Resources.XObject
    assert "/SMask" not in xo.Im0 and xo.Im0.ColorSpace == "/DeviceRGB"
    assert "/SMask" not in xo.Im1  # palette index 0 is transparent but unused: opaque
    px = render(data)
    assert close_to(pixel(px, pt(30), pt(30)), (10, 200, 10), 1)
    assert close_to(pixel(px, pt(80), pt(30)), (0, 0, 255), 1)


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    img = Image(pil_bytes(PILImage.fromarray(np.full((8, 8), 30000, np.uint16)), "PNG"), "g16.png")
    data = write_pdf(one_page([Picture(img, pt(10), pt(10), pt(40), pt(40))]))
    pdf = open_pdf(data)
    assert pdf.pages[0].Resources.XObject.Im0.ColorSpace == "/DeviceGray"
    assert close_to(pixel(render(data), pt(30), pt(30)), (117, 117, 117), 1)  # 30000/65535 of 255


def test_jpeg_headers():
    data = pil_bytes(PILImage.new("RGB", (33, 17), RED), "JPEG")
    info = jpeg_info(data)
    assert (info.width, info.height, info.bits, info.components, info.sof) == (33, 17, 8, 3, 0xC0)
    assert info.embeddable and not info.adobe
    prog = jpeg_info(pil_bytes(PILImage.new("RGB", (5, 5), RED), "JPEG", progressive=True))
    assert prog.sof == 0xC2 and prog.embeddable
    sof = data.index(b"\xff\xc0")
    lossless = data[: sof + 1] + b"\xc3" + data[sof + 2 :]
    assert not jpeg_info(lossless).embeddable
    twelve = data[: sof + 4] + b"\x0c" + data[sof + 5 :]
    assert not jpeg_info(twelve).embeddable
    dnl = data[: sof + 5] + b"\x00\x00" + data[sof + 7 :]  # height 0: given later in a DNL marker
    assert jpeg_info(dnl).height == 0 and not jpeg_info(dnl).embeddable
    with pytest.raises(ImageError):
        jpeg_info(data[:sof])  # cut before the frame header
    with pytest.raises(ImageError):
        jpeg_info(b"\xff\xd8\xff\xe0\xff\xff")  # a segment longer than the file


def test_uncompressed_images_render_the_same(jpeg, png_alpha):
    dl = one_page([Picture(jpeg, pt(10), pt(10), pt(60), pt(45)), Picture(png_alpha, pt(100), pt(10), pt(60), pt(40))])
    packed, raw = write_pdf(dl), write_pdf(dl, compress_level=None)
    pdf = open_pdf(raw)
    xo = pdf.pages[0].Resources.XObject
    assert "/Filter" not in xo.Im1 and "/Filter" not in xo.Im1.SMask
    assert xo.Im0.Filter == "/DCTDecode"
    assert np.array_equal(render(packed), render(raw))


def test_zero_sized_image_draws_nothing(jpeg):
    data = write_pdf(one_page([Picture(jpeg, pt(10), pt(10), 0, pt(10))]))
    pdf = open_pdf(data)
    assert placements(pdf, 0) == []


# ---------------------------------------------------------------------------- overlays


def letterhead(font, *extra):
    """A 400 x 100 pt overlay: a text line, a green bar and a rule."""
    return make_overlay(
        "letterhead",
        [
            Text("Acme Insurance Ltd", pt(20), pt(30), font, pt(14)),
            Rect(pt(20), pt(50), pt(200), pt(20), fill=0x10A040),
            Rule(pt(20), pt(90), pt(360), 0, width=pt(1), color=0x000080),
            *extra,
        ],
        (pt(400), pt(100)),
    )


def test_overlay_is_one_form_xobject_shown_on_every_page(noto, noto_bold):
    ov = letterhead(noto)  # noto regular appears only inside the overlay
    pos = [(pt(50), pt(40)), (pt(100), pt(300)), (pt(0), pt(700))]

    def page(k):
        return [Place(ov, *pos[k]), Text(f"Body text {k}", pt(60), pt(600), noto_bold, pt(11))]

    data = write_pdf(build([[page(0), page(1)]]), build([[page(2)]]))
    pdf = open_pdf(data)
    forms = streams(pdf, "/Form")
    assert len(forms) == 1
    form = forms[0]
    assert [int(v) for v in form.BBox] == [0, 0, pt(400), pt(100)]
    assert "/Matrix" not in form  # identity: the form's space is the page's millipoints
    assert form.Resources.objgen == pdf.pages[0].Resources.objgen

    texts = page_texts(data)
    for k, (x, y) in enumerate(pos):
        assert pdf.pages[k].Resources.XObject.Ov0.objgen == form.objgen
        assert placements(pdf, k) == [("/Ov0", [1, 0, 0, 1, x, PAGE_H - y - pt(100)])]
        assert "Acme Insurance Ltd" in texts[k] and f"Body text {k}" in texts[k]
        px = render(data, k)
        assert close_to(pixel(px, x + pt(120), y + pt(60)), (0x10, 0xA0, 0x40), 1)  # the bar
        assert pixel(px, x + pt(120), y + pt(80)) == (255, 255, 255)  # below it, nothing
        assert close_to(pixel(px, x + pt(200), y + pt(90)), (0, 0, 0x80), 40)  # the rule
        ink = px[int((y + pt(17)) / 500) : int((y + pt(31)) / 500), int((x + pt(20)) / 500) : int((x + pt(150)) / 500)]
        assert (ink < 128).any()  # the overlay's glyphs are drawn, not only extractable

    # both fonts embedded; the regular one, used only in the overlay, lists its glyphs
    fonts = type0_fonts(pdf)
    assert len(fonts) == 2
    overlay_gids = set(noto.shape("Acme Insurance Ltd").gids.tolist())
    covered = [widths_of(f) for f in fonts]
    assert sum(overlay_gids <= c for c in covered) == 1


def type0_fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"]


def widths_of(font: pikepdf.Dictionary) -> set[int]:
    """Glyph ids a Type0 font's /W array lists."""
    w = list(font.DescendantFonts[0].W)
    gids, k = set(), 0
    while k < len(w):
        first = int(w[k])
        if isinstance(w[k + 1], pikepdf.Array):
            gids.update(range(first, first + len(w[k + 1])))
            k += 2
        else:
            gids.update(range(first, int(w[k + 1]) + 1))
            k += 3
    return gids


def test_overlay_draws_exactly_like_the_same_items_inline(noto, png_alpha):
    """Text positions and pixels of an overlay equal those of its items drawn on the page."""
    dx, dy = pt(70), pt(250)
    inner = [
        Text("Acme Insurance Ltd", pt(20), pt(30), noto, pt(14)),
        Rect(pt(20), pt(50), pt(200), pt(20), fill=0x10A040, stroke=0x202020, width=pt(2)),
        Rule(pt(20), pt(90), pt(360), 0, width=pt(1), color=0x000080),
        Picture(png_alpha, pt(250), pt(10), pt(48), pt(32)),
    ]
    ov = make_overlay("lh", inner, (pt(400), pt(100)))

    def moved(it):
        it = type(it)(**vars(it))
        it.x += dx
        it.y += dy
        return it

    via_overlay = write_pdf(one_page([Place(ov, dx, dy)]))
    inline = write_pdf(one_page([moved(it) for it in inner]))
    assert char_boxes(via_overlay) == char_boxes(inline)
    diff = np.abs(render(via_overlay, scale=1.5).astype(int) - render(inline, scale=1.5).astype(int))
    # the composed matrix may differ in the last float bit: an anti-aliased edge pixel or two
    assert diff.max() <= 2 and np.count_nonzero(diff) <= 12


def test_overlay_with_image_and_nested_overlay(noto, jpeg):
    logo = make_overlay(
        "logo", [Picture(jpeg, 0, 0, pt(40), pt(30)), Text("Logo", 0, pt(40), noto, pt(8))], (pt(40), pt(45))
    )
    head = make_overlay(
        "head", [Place(logo, pt(300), pt(10)), Text("Header", pt(10), pt(20), noto, pt(10))], (pt(400), pt(60))
    )
    # the page shows the header twice and the JPEG directly: still one image, two forms
    data = write_pdf(
        one_page([Place(head, 0, 0), Place(head, 0, pt(400)), Picture(jpeg, pt(10), pt(700), pt(20), pt(15))])
    )
    pdf = open_pdf(data)
    assert len(streams(pdf, "/Image")) == 1
    assert len(streams(pdf, "/Form")) == 2
    text = page_texts(data)[0]
    assert text.count("Logo") == 2 and text.count("Header") == 2
    px = render(data)
    for y in (0, pt(400)):
        assert close_to(pixel(px, pt(320), y + pt(10) + pt(15)), RED)
    assert close_to(pixel(px, pt(20), pt(707)), RED)


def test_overlay_containing_itself_is_an_error(noto):
    ov = make_overlay("loop", [Text("x", 0, pt(10), noto, pt(10))], (pt(100), pt(20)))
    ov.content = build([[[Text("x", 0, pt(10), noto, pt(10)), Place(ov, 0, 0)]]], page_size=(pt(100), pt(20)))
    out = io.BytesIO()
    w = PdfWriter(out)
    with pytest.raises(ValueError, match="contains itself"):
        w.write(one_page([Place(ov, 0, 0)]))
    with pytest.raises(EmptyJobError):
        w.close()  # nothing half-written: no page was written, so no PDF is finished
    assert b"%%EOF" not in out.getvalue()


def test_overlay_unused_font_glyphs_are_subset_job_wide(noto):
    """A font used only inside an overlay is embedded, with a ToUnicode for its glyphs."""
    ov = make_overlay("only", [Text("Zebra", pt(10), pt(20), noto, pt(12))], (pt(100), pt(30)))
    data = write_pdf(one_page([Place(ov, pt(10), pt(10))]))
    pdf = open_pdf(data)
    fonts = type0_fonts(pdf)
    assert len(fonts) == 1 and "/ToUnicode" in fonts[0]
    assert set(noto.shape("Zebra").gids.tolist()) <= widths_of(fonts[0])
    assert page_texts(data) == ["Zebra"]


def test_bad_image_and_overlay_items_are_rejected(noto, jpeg):
    out = io.BytesIO()
    w = PdfWriter(out)
    bad = one_page([Picture(jpeg, 0, 0, pt(10), pt(10))])
    bad.items[0, D.FONT] = 1
    with pytest.raises(ValueError, match="IMAGE item uses index 1"):
        w.write(bad)
    bad = one_page([Picture(jpeg, 0, 0, pt(10), pt(10))])
    bad.images = ["not an image"]
    with pytest.raises(ValueError, match="not a ccmcore.images.Image"):
        w.write(bad)
    ov = make_overlay("ov", [Text("x", 0, pt(10), noto, pt(10))], (pt(100), pt(20)))
    bad = one_page([Place(ov, 0, 0)])
    bad.items[0, D.FONT] = -1
    with pytest.raises(ValueError, match="OVERLAY item uses index -1"):
        w.write(bad)
    two_pages = D.Overlay("two", pt(100), pt(20), build([[[Text("a", 0, pt(10), noto, pt(10))], []]]))
    with pytest.raises(ValueError, match="exactly one page"):
        w.write(one_page([Place(two_pages, 0, 0)]))
    flat = D.Overlay("flat", pt(100), 0, one_page([]))
    with pytest.raises(ValueError, match="positive width and height"):
        w.write(one_page([Place(flat, 0, 0)]))
    # the writer is still good: rejected batches left nothing behind
    w.write(one_page([Place(ov, 0, 0), Picture(jpeg, 0, pt(50), pt(10), pt(10))]))
    w.close()
    pdf = open_pdf(out.getvalue())
    assert len(pdf.pages) == 1 and len(streams(pdf, "/Form")) == 1 and len(streams(pdf, "/Image")) == 1


def test_same_input_gives_identical_bytes(noto, jpeg, png_alpha):
    def job(jpeg, png):
        ov = letterhead(noto, Picture(png, pt(300), pt(10), pt(48), pt(32)))
        b1, b2 = image_pages(jpeg, png)
        return write_pdf(build([[[Place(ov, 0, 0)]]]), b1, b2, build([[[Place(ov, pt(10), pt(10))]]]))

    first = job(jpeg, png_alpha)
    # fresh Image and Overlay objects with the same content: the same file
    again = job(Image(jpeg.data), Image(png_alpha.data))
    assert first == again
    pdf = open_pdf(first)
    assert len(pdf.pages) == 6 and len(streams(pdf, "/Form")) == 1
    assert len(streams(pdf, "/Image")) == 3  # JPEG, PNG, its mask


def test_display_list_without_images_or_overlays_is_unchanged(noto):
    data = write_pdf(one_page([Text("plain", pt(10), pt(20), noto, pt(10))]))
    pdf = open_pdf(data)
    res = pdf.pages[0].Resources
    assert "/XObject" not in res and [str(p) for p in res.ProcSet] == ["/PDF", "/Text"]


def test_encoded_image_needs_its_mask_number(png_alpha):
    enc = encode_image(png_alpha, 1)
    with pytest.raises(ValueError, match="soft mask"):
        enc.bodies(None)
    image, mask = enc.bodies(7)
    assert b"/SMask 7 0 R" in image and b"/SMask" not in mask
