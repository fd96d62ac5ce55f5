"""The composition features through both backends: what the display list holds, the PDF
and the AFP show (AFP read back with ccmcore's reader and validated)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from afp_read import rasterize_rules, read_groups

from ccmcore import (
    Barcode,
    Column,
    Document,
    Frame,
    Message,
    PageTemplate,
    Paragraph,
    Span,
    Style,
    Table,
    Text,
    col,
    compose,
    layout,
    mm,
    money,
)
from ccmcore.afp.validate import validate
from ccmcore.units import to_mpt

W, H = mm(150), mm(120)


def tpl(name, **kw):
    return PageTemplate(
        name,
        Frame(mm(10), mm(15), mm(130), mm(85)),
        [Text(f"{name} {{page}}/{{pages}}", x=mm(10), y=mm(108), style=Style(size=7))] + list(kw.pop("content", [])),
        size=(W, H),
        **kw,
    )


def tables_doc():
    t = Table(
        "items",
        [Column("Text", "d", mm(90)), Column("Amount", "amt", mm(40), align="right", format=money())],
        style=Style(size=8, leading=10),
        group_by="g",
        group_header="Group {g}",
        carry="amt",
        group_footer="Subtotal",
        stripe="#eeeeee",
        total=["Total", "{total}"],
    )
    return Document(flow=[t], first=tpl("first"), next=tpl("next"), formats={"total": money()})


def tables_data():
    items = [
        [{"g": f"G{i // 11}", "d": f"line {i}", "amt": (i * 731) % 5000 - 1200} for i in range(n)] for n in (3, 57)
    ]
    return pa.table({"items": items, "total": [sum(x["amt"] for x in it) for it in items]})


def text_doc():
    msgs = [
        Message(
            "offer",
            [Paragraph("A **special** offer for you", Style(size=9), markup=True)],
            rule=col("seg") == "gold",
            priority=5,
        ),
        Message("note", [Paragraph("Thank you", Style(size=9))], priority=1),
    ]
    flow = [
        Paragraph(["Dear ", Span("{name}", bold=True), ","], Style(size=10)),
        Paragraph("{long}", Style(size=9, hyphenate="en", align="justify")),
        Paragraph("first point", Style(size=9), bullet="•", indent=mm(4)),
    ]
    last = PageTemplate(
        "slip",
        Frame(mm(10), mm(15), mm(130), mm(60)),
        [Text("PAYMENT SLIP", x=mm(10), y=mm(80), style=Style(size=9))],
        size=(W, H),
    )
    back = PageTemplate(
        "terms", Frame(mm(10), mm(15), mm(130), mm(85)), [Text("Terms and conditions", x=mm(10), y=mm(15))], size=(W, H)
    )
    return Document(flow=flow, first=tpl("first"), next=tpl("next"), last=last, duplex=True, back=back, messages=msgs)


def text_data():
    long = "Composition engines hyphenate extraordinarily long administrative words automatically. " * 9
    return pa.table({"name": ["Łukasz", "Zoë"], "seg": ["gold", "std"], "long": [long, long[:200]]})


def display_pages(doc, data):
    out = []
    for dl, _, _ in layout(doc, data):
        for d in range(dl.doc_count):
            rec, p0, pn = (int(v) for v in dl.docs[d])
            out.append([" ".join(dl.page_text(p)) for p in range(p0, p0 + pn)])
    return out


def tokens(s: str) -> list[str]:
    return s.replace("\u00ad", "").split()


@pytest.mark.parametrize("make", [(tables_doc, tables_data), (text_doc, text_data)], ids=["tables", "text"])
def test_afp_pages_say_what_the_display_list_says(make, tmp_path):
    doc, data = make[0](), make[1]()
    expected = display_pages(doc, data)
    out = tmp_path / "f.afp"
    compose(doc, data, out, format="afp")
    assert validate(out) == []
    groups = read_groups(out)
    assert [len(g.pages) for g in groups] == [len(p) for p in expected]
    for g, pages in zip(groups, expected):
        for afp_page, want in zip(g.pages, pages):
            assert tokens(afp_page.text) == tokens(want)
    pdf = tmp_path / "f.pdf"
    report = compose(doc, data, pdf)
    assert report.pages == sum(len(p) for p in expected)
    import pypdfium2 as pdfium

    reader = pdfium.PdfDocument(str(pdf))
    flat = [t for pages in expected for t in pages]
    for k, want in enumerate(flat):
        got = reader[k].get_textpage().get_text_range()
        # PDFium marks a hyphen ending a line as U+FFFE and joins adjacent runs; the
        # characters come back in order
        assert "".join(tokens(got.replace("\ufffe", "-"))) == "".join(tokens(want)), f"PDF page {k + 1}"
    reader.close()


def test_features_show_up_where_expected(tmp_path):
    expected = display_pages(text_doc(), text_data())
    first, second = expected
    assert any("Subtotal" in t for t in display_pages(tables_doc(), tables_data())[1])
    assert "PAYMENT SLIP" in first[-2] or "PAYMENT SLIP" in first[-1]
    assert "Terms and conditions" in first[1]

    def flat(pages):
        return " ".join(" ".join(pages).split())

    assert "A special offer for you" in flat(first) and "special offer" not in flat(second)
    assert any(t.endswith("-") for p in first for t in p.split())  # hyphenated somewhere


def test_barcodes_decode_from_the_afp_rules(tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    page = tpl(
        "p",
        content=[
            Barcode("code128", "{id}-{page}/{pages}", x=mm(10), y=mm(104), module=mm(0.4), height=mm(8)),
            Barcode("datamatrix", "{id}", x=mm(120), y=mm(100), module=mm(0.9)),
        ],
    )
    doc = Document(flow=[Paragraph("x")], first=page)
    out = tmp_path / "bc.afp"
    compose(doc, pa.table({"id": ["AFP42"]}), out, format="afp")
    assert validate(out) == []
    (g,) = read_groups(out)
    img = rasterize_rules(g.pages[0], to_mpt(W) // 50, to_mpt(H) // 50, scale=2)
    found = sorted(r.text for r in zxingcpp.read_barcodes(img))
    assert found == ["AFP42", "AFP42-1/1"]
