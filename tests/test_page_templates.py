"""Page templates chosen by the kernel (first / next / last, back of sheet one, blank backs,
extra pages), pictures, overlays, and barcodes with page facts."""

from __future__ import annotations

import io

import pyarrow as pa
import pytest

from ccmcore import (
    Barcode,
    Document,
    Frame,
    Line,
    Overlay,
    PageTemplate,
    Paragraph,
    Picture,
    Rect,
    Style,
    TemplateError,
    Text,
    When,
    col,
    compose,
    layout,
    mm,
)
from ccmcore.display import IMAGE, KIND, OVERLAY, RECT, TEMPLATE, H, W, X, Y
from ccmcore.units import to_mpt


def make_png(w=40, h=20, color=(200, 30, 30), alpha=False) -> bytes:
    from PIL import Image as PILImage

    im = PILImage.new("RGBA" if alpha else "RGB", (w, h), color + ((128,) if alpha else ()))
    buf = io.BytesIO()
    im.save(buf, "PNG", dpi=(144, 144))
    return buf.getvalue()


def doc_pages(dl, d=0):
    rec, p0, pn = (int(v) for v in dl.docs[d])
    return list(range(p0, p0 + pn))


def tpl(name, body_h=mm(40), **kw):
    return PageTemplate(
        name,
        Frame(mm(10), mm(10), mm(100), body_h),
        [Text(f"[{name}] {{page}}/{{pages}}", x=mm(10), y=mm(120), style=Style(size=7))] + list(kw.pop("content", [])),
        **kw,
    )


def lines(n):
    return "\n".join(f"line {i}" for i in range(n))


def one(doc, data):
    ((dl, bound, _),) = list(layout(doc, data))
    return dl, bound


def names(dl, pages):
    return [dl.templates[dl.pages[p][TEMPLATE]] for p in pages]


# ---------------------------------------------------------------------- last page


def test_last_page_content_goes_on_the_last_page_when_it_fits():
    last = PageTemplate(
        "slip", Frame(mm(10), mm(10), mm(100), mm(30)), [Text("PAYMENT SLIP", x=mm(10), y=mm(60), style=Style(size=9))]
    )
    doc = Document(flow=[Paragraph("{t}", Style(size=10, leading=12))], first=tpl("first"), next=tpl("next"), last=last)
    dl, _ = one(doc, pa.table({"t": [lines(3), lines(40)]}))
    p = doc_pages(dl, 0)
    assert len(p) == 1 and "PAYMENT SLIP" in dl.page_text(p[0])
    p = doc_pages(dl, 1)
    texts = [dl.page_text(q) for q in p]
    assert ["PAYMENT SLIP" in t for t in texts] == [False] * (len(p) - 1) + [True]


def test_last_page_content_gets_a_page_of_its_own_when_the_flow_is_too_long():
    last = PageTemplate(
        "slip", Frame(mm(10), mm(10), mm(100), mm(10)), [Text("PAYMENT SLIP", x=mm(10), y=mm(60), style=Style(size=9))]
    )
    doc = Document(flow=[Paragraph("{t}", Style(size=10, leading=12))], first=tpl("first"), next=tpl("next"), last=last)
    dl, _ = one(doc, pa.table({"t": [lines(8)]}))  # 8 lines end below 20 mm
    p = doc_pages(dl)
    assert len(p) == 2
    assert "PAYMENT SLIP" not in dl.page_text(p[0]) and "PAYMENT SLIP" in dl.page_text(p[1])
    assert "line 7" in dl.page_text(p[0])
    assert "[next] 2/2" in dl.page_text(p[1])


# ---------------------------------------------------------------------- duplex


def test_duplex_back_of_first_sheet_and_blank_padding():
    back = PageTemplate(
        "terms",
        Frame(mm(10), mm(10), mm(100), mm(40)),
        [Text("Terms and conditions", x=mm(10), y=mm(10), style=Style(size=8))],
    )
    doc = Document(
        flow=[Paragraph("{t}", Style(size=10, leading=12))],
        first=tpl("first"),
        next=tpl("next"),
        duplex=True,
        back=back,
    )
    dl, _ = one(doc, pa.table({"t": [lines(2), lines(12), lines(40)]}))  # 9 lines a page
    # 1 flow page: first, terms
    assert names(dl, doc_pages(dl, 0)) == ["first", "terms"]
    # 2 flow pages: first, terms, next, blank
    assert names(dl, doc_pages(dl, 1)) == ["first", "terms", "next", "blank"]
    # flow page numbering skips the back and blank pages
    p = doc_pages(dl, 1)
    assert "[first] 1/2" in dl.page_text(p[0]) and "[next] 2/2" in dl.page_text(p[2])
    assert dl.page_text(p[3]) == []  # a blank back page is blank
    for d in range(dl.doc_count):
        assert len(doc_pages(dl, d)) % 2 == 0
    body = [t for q in doc_pages(dl, 2) for t in dl.page_text(q) if t.startswith("line")]
    assert body == [f"line {i}" for i in range(40)]


def test_back_needs_duplex():
    with pytest.raises(TemplateError, match="duplex"):
        Document(first=tpl("a"), back=tpl("b"))


def test_extra_pages_by_rule():
    offer = PageTemplate("offer", Frame(mm(10), mm(10), mm(100), mm(40)), [Text("Premium offer", x=mm(10), y=mm(10))])
    doc = Document(flow=[Paragraph("{t}")], first=tpl("first"), extra_pages=[When(col("seg") == "premium", offer)])
    dl, _ = one(doc, pa.table({"t": ["a", "b"], "seg": ["premium", "consumer"]}))
    assert names(dl, doc_pages(dl, 0)) == ["first", "offer"]
    assert names(dl, doc_pages(dl, 1)) == ["first"]


# ---------------------------------------------------------------------- pictures and overlays


def test_pictures_fixed_and_in_the_flow(tmp_path):
    png = tmp_path / "logo.png"
    png.write_bytes(make_png(40, 20))
    page = tpl("p", body_h=mm(60), content=[Picture(png, x=mm(80), y=mm(5), width=mm(20))])
    doc = Document(
        flow=[
            Paragraph("above"),
            Picture(make_png(80, 40), height=mm(10), align="center", space_before=2),
            Paragraph("below"),
        ],
        first=page,
    )
    dl, _ = one(doc, pa.table({"a": [1, 2]}))
    imgs = [it for it in dl.page_items(0) if it[KIND] == IMAGE]
    assert len(imgs) == 2
    fixed, flow = imgs
    assert (fixed[X], fixed[Y], fixed[W], fixed[H]) == (
        to_mpt(mm(80)),
        to_mpt(mm(5)),
        to_mpt(mm(20)),
        to_mpt(mm(10)),
    )  # aspect kept
    assert flow[H] == to_mpt(mm(10)) and abs(flow[W] - to_mpt(mm(20))) <= 1
    assert flow[X] == to_mpt(mm(10)) + (to_mpt(mm(100)) - flow[W]) // 2
    assert len(dl.images) == 2  # two different images, each once
    runs = [it for it in dl.page_items(0) if it[KIND] == 1]
    y_of = {dl.run_text(r): r[Y] for r in runs}
    assert y_of["above"] < flow[Y] < flow[Y] + flow[H] < y_of["below"]


def test_broken_picture_is_a_clear_error_before_anything_is_made(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(make_png()[:60])
    doc = Document(flow=[Picture(bad, name="signature")], first=tpl("p"))
    with pytest.raises(TemplateError, match="Picture 'signature'.*broken.png"):
        one(doc, pa.table({"a": [1]}))


def test_overlay_is_laid_out_once_and_placed_on_every_page():
    letterhead = Overlay(
        "LETTERHD",
        [
            Text("ACME Bank", x=mm(10), y=mm(5), style=Style(size=12, bold=True)),
            Line(mm(10), mm(8), mm(110), mm(8)),
            Rect(mm(90), mm(2), mm(10), mm(5), fill="#3a5a8c", stroke=None),
        ],
    )
    page = tpl("p", overlays=[letterhead])
    doc = Document(flow=[Paragraph("{t}", Style(size=10, leading=12))], first=page)
    dl, _ = one(doc, pa.table({"t": [lines(30), "x"]}))
    assert dl.page_count >= 3
    assert len(dl.overlays) == 1
    ov = dl.overlays[0]
    assert ov.name == "LETTERHD" and ov.content.page_text(0) == ["ACME Bank"]
    for p in range(dl.page_count):
        first = dl.page_items(p)[0]
        assert first[KIND] == OVERLAY and first[X] == 0 and first[Y] == 0
        assert "ACME Bank" not in dl.page_text(p)  # not repeated per page


def test_overlay_with_fields_is_rejected():
    page = tpl("p", overlays=[Overlay("BAD", [Text("Dear {name}", x=0, y=0)])])
    with pytest.raises(TemplateError, match="overlay 'BAD'"):
        one(Document(flow=[Paragraph("x")], first=page), pa.table({"name": ["a"]}))


# ---------------------------------------------------------------------- barcodes


def render_page(pdf_path, page, scale=4):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf_path))
    img = doc[page].render(scale=scale).to_pil().convert("L")
    doc.close()
    return img


def test_barcodes_carry_fields_and_page_facts(tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    page = tpl(
        "p",
        body_h=mm(20),
        content=[  # 4 lines a page
            Barcode("code128", "{id}-{page}/{pages}", x=mm(10), y=mm(130), module=mm(0.35), height=mm(10)),
            Barcode("datamatrix", "{id}S{job_sheet}", x=mm(90), y=mm(130), module=mm(0.8)),
            When(col("seg") == "vip", Barcode("qr", "https://example.com/{id}", x=mm(150), y=mm(10), module=mm(0.8))),
        ],
        size=(mm(200), mm(170)),
    )
    doc = Document(flow=[Paragraph("{t}", Style(size=10, leading=12))], first=page)
    out = tmp_path / "bc.pdf"
    report = compose(doc, pa.table({"id": ["A17", "B42"], "seg": ["vip", "std"], "t": [lines(3), lines(6)]}), out)
    assert report.documents == 2 and report.pages == 3
    found = []
    for p in range(3):
        res = zxingcpp.read_barcodes(render_page(out, p))
        found.append(sorted(r.text for r in res))
    assert found[0] == sorted(["A17-1/1", "A17S1", "https://example.com/A17"])
    assert found[1] == sorted(["B42-1/2", "B42S2"])
    assert found[2] == sorted(["B42-2/2", "B42S3"])


def test_unencodable_barcode_rejects_its_record_only(tmp_path):
    page = tpl("p", content=[Barcode("code128", "{id}", x=mm(10), y=mm(130))])
    doc = Document(flow=[Paragraph("x")], first=page)
    report = compose(doc, pa.table({"id": ["OK1", "bad €", "OK3"]}), tmp_path / "x.pdf")
    assert report.documents == 2
    (rej,) = report.rejected
    assert rej.record == 1 and "Barcode" in rej.field and "€" in rej.reason


def test_omr_marks_on_front_pages_with_end_of_set_on_the_last_sheet():
    from ccmcore.barcodes import OmrSpec

    spec = OmrSpec(marks=("start", "eoc", "stop"))
    page = tpl("p", body_h=mm(20), content=[Barcode("omr", "", x=mm(2), y=mm(20), options={"spec": spec})])
    doc = Document(flow=[Paragraph("{t}", Style(size=10, leading=12))], first=page, duplex=True)
    ((dl, _, _),) = list(layout(doc, pa.table({"t": [lines(16)]})))  # 4 lines a page: 4 pages, 2 sheets
    marks = [
        [it for it in dl.page_items(p) if it[KIND] == RECT and it[X] == to_mpt(mm(2))] for p in range(dl.page_count)
    ]
    assert dl.page_count == 4
    assert [len(m) for m in marks][1::2] == [0, 0]  # backs carry no marks
    assert len(marks[0]) == 2 and len(marks[2]) == 3  # start+stop, then start+eoc+stop on the last sheet
