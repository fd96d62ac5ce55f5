"""The DIN 5008 page pieces: positions read back from the PDF (form A and B, the invoice
example), a too-long address kept inside its window, and mistakes named."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyarrow as pa
import pypdfium2 as pdfium
import pytest
from pdf_read import text_box_mm

from ccmcore import (
    Document,
    Paragraph,
    TemplateError,
    compose,
    din5008_address,
    din5008_info_block,
    din5008_letter,
)

ROOT = Path(__file__).resolve().parent.parent
RETURN = "Example Ltd · 1 Main Street · 12345 Town"


def _letter(form: str, **kw) -> Document:
    first = din5008_letter(
        address=["name", "street", "{postcode} {city}"],
        return_line=RETURN,
        info=[("Customer no.", "{customer_id}")],
        form=form,
        **kw,
    )
    return Document(first=first, flow=[Paragraph("Dear {name},")])


DATA = pa.table(
    {
        "name": ["Anna Berg"],
        "street": ["Hauptstraße 5"],
        "postcode": ["01067"],
        "city": ["Dresden"],
        "customer_id": ["K-17"],
    }
)


@pytest.mark.parametrize(("form", "field_top", "info_top"), [("A", 27, 32), ("B", 45, 50)])
def test_positions_follow_the_form(tmp_path, form, field_top, info_top):
    report = compose(_letter(form), DATA, tmp_path / "l.pdf")
    assert not report.rejected and not report.warnings
    pdf = pdfium.PdfDocument(str(tmp_path / "l.pdf"))
    try:
        page = pdf[0]
        zone = field_top + 17.7  # the address zone under the return line and notes zone
        ret = text_box_mm(page, RETURN)
        assert (
            ret[0] == pytest.approx(20, abs=0.5) and ret[1] >= field_top and ret[3] == pytest.approx(zone - 1, abs=0.5)
        )
        name = text_box_mm(page, "Anna Berg")
        assert name[0] == pytest.approx(20, abs=0.5) and name[1] == pytest.approx(zone, abs=0.5)
        city = text_box_mm(page, "01067 Dresden")  # the postcode kept as text
        assert city[0] == pytest.approx(20, abs=0.5) and city[3] <= field_top + 45
        label = text_box_mm(page, "Customer no.")
        assert label[0] == pytest.approx(125, abs=0.5) and label[1] == pytest.approx(info_top, abs=0.5)
        body = text_box_mm(page, "Dear Anna Berg,")
        assert body[0] == pytest.approx(25, abs=0.5) and body[1] >= field_top + 45
    finally:
        pdf.close()


def test_a_long_address_shrinks_inside_its_window(tmp_path):
    data = DATA.set_column(0, "name", pa.array(["Dr. " + "Maximiliane Mustermann-Überlänge " * 6]))
    report = compose(_letter("B"), data, tmp_path / "l.pdf")
    assert not report.rejected and any("address" in str(w) for w in report.warnings)
    pdf = pdfium.PdfDocument(str(tmp_path / "l.pdf"))
    try:
        city = text_box_mm(pdf[0], "01067 Dresden")
        assert city[3] <= 90 and city[2] <= 105  # still inside the window
    finally:
        pdf.close()
    # with overflow="reject" the record is rejected, naming the element
    report = compose(_letter("B", address_overflow="reject"), pa.concat_tables([DATA, data]), tmp_path / "r.pdf")
    assert [r.record for r in report.rejected] == [1] and "address" in str(report.rejected[0])


def test_invoice_example_uses_the_din5008_window(tmp_path):
    spec = importlib.util.spec_from_file_location("ccm_din_invoice_template", ROOT / "examples/invoice/template.py")
    tpl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tpl)
    sys.path.insert(0, str(ROOT / "examples/invoice"))
    try:
        gspec = importlib.util.spec_from_file_location(
            "ccm_din_invoice_generate", ROOT / "examples/invoice/generate.py"
        )
        gen = importlib.util.module_from_spec(gspec)
        gspec.loader.exec_module(gen)
    finally:
        sys.path.pop(0)
    table = gen.generate(3, seed=1)
    compose(tpl.document, table, tmp_path / "i.pdf")
    pdf = pdfium.PdfDocument(str(tmp_path / "i.pdf"))
    try:
        row = table.slice(0, 1).to_pylist()[0]
        page = pdf[0]
        name = text_box_mm(page, row["name"])
        assert name[0] == pytest.approx(20, abs=0.5) and name[1] == pytest.approx(62.7, abs=0.5)
        ret = text_box_mm(page, "Northwind Telecom · 1 Harbour Street")
        assert ret[0] == pytest.approx(20, abs=0.5) and ret[3] == pytest.approx(61.7, abs=0.5)
        label = text_box_mm(page, "Invoice no.")
        assert label[0] == pytest.approx(125, abs=0.5) and label[1] >= 50 - 0.5
        assert "Amount EUR" in page.get_textpage().get_text_range()
    finally:
        pdf.close()


def test_mistakes_are_named():
    with pytest.raises(TemplateError, match="form must be 'A' or 'B'"):
        din5008_address(["name"], form="C")
    with pytest.raises(TemplateError, match="holds 1 to 6 lines, not 7"):
        din5008_address(["a"] * 7)
    with pytest.raises(TemplateError, match="column name or a text"):
        din5008_address(["name", ""])
    with pytest.raises(TemplateError, match=r"\(label, value\) pair"):
        din5008_info_block([("Customer no.",)])
    with pytest.raises(TemplateError, match="label_width"):
        din5008_info_block([("a", "b")], label_width="wide")
