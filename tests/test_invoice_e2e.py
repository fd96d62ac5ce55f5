"""The standard invoice job end to end, its output checked by real readers (qpdf, PDFium)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import generate  # examples/invoice, put on sys.path by conftest
import pikepdf
import pyarrow as pa
import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest

from ccmcore import compose
from ccmcore.cli import main as ccm_main

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "invoice" / "template.py"


def money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


@pytest.fixture(scope="module")
def invoice_data(tmp_path_factory):
    table = generate.generate(40, seed=7)
    path = tmp_path_factory.mktemp("data") / "invoices.parquet"
    pq.write_table(table, path)
    return table, path


@pytest.fixture(scope="module")
def invoice_pdf(invoice_data, tmp_path_factory):
    from template import document

    table, path = invoice_data
    out = tmp_path_factory.mktemp("out") / "invoices.pdf"
    report = compose(document, path, out)
    return table, out, report


def pdf_pages_text(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def split_documents(pages: list[str]) -> list[list[str]]:
    """Group pages into documents by their 'Page n of m' footers, checking the numbering."""
    docs: list[list[str]] = []
    for text in pages:
        m = re.findall(r"Page (\d+) of (\d+)", text)
        assert len(m) == 1, f"a page without exactly one footer: {text[-200:]!r}"
        n, total = int(m[0][0]), int(m[0][1])
        if n == 1:
            docs.append([])
        assert docs and len(docs[-1]) == n - 1, "page numbers are not consecutive within a document"
        docs[-1].append(text)
        assert n <= total
    for d in docs:
        assert int(re.findall(r"Page \d+ of (\d+)", d[0])[0]) == len(d)
    return docs


def test_pdf_is_valid_for_qpdf(invoice_pdf):
    _, out, report = invoice_pdf
    with pikepdf.open(out) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.pages) == report.pages
        for page in pdf.pages:
            box = [float(v) for v in page.MediaBox]
            assert box == pytest.approx([0, 0, 595.276, 841.89], abs=0.01)


def test_every_document_has_its_data(invoice_pdf):
    table, out, report = invoice_pdf
    assert report.documents == table.num_rows and not report.rejected
    docs = split_documents(pdf_pages_text(out))
    assert len(docs) == table.num_rows
    rows = table.to_pylist()
    long_docs = 0
    for row, pages in zip(rows, docs):
        text = "\n".join(pages)
        assert row["name"] in text
        assert f"Invoice {row['invoice_no']}" in text
        assert row["customer_id"] in text
        amounts = text.split()
        for item in row["items"]:
            assert money(item["amount_cents"]) in amounts
        assert f"Total EUR {money(row['total_cents'])}" in " ".join(amounts)
        # the table header repeats on every page the table continues on
        for page in pages[1:]:
            assert "Date Description Qty Unit price EUR Amount EUR" in " ".join(page.split())
        long_docs += len(row["items"]) == 120
    assert long_docs >= 1, "the sample should hold a 120-item invoice"


def test_conditional_messages(invoice_pdf):
    table, out, _ = invoice_pdf
    docs = split_documents(pdf_pages_text(out))
    for row, pages in zip(table.to_pylist(), docs):
        text = " ".join("".join(pages).split())
        assert ("Premium customer" in text) == (row["segment"] == "premium")
        assert ("Business customers" in text) == (row["segment"] == "business")


def test_output_is_deterministic(invoice_data, invoice_pdf, tmp_path):
    from template import document

    _, path = invoice_data
    _, first, _ = invoice_pdf
    again = tmp_path / "again.pdf"
    compose(document, path, again, batch_size=7)  # other batch boundaries, same bytes
    assert again.read_bytes() == first.read_bytes()


def test_other_arrow_sources_give_the_same_pdf(invoice_data, invoice_pdf, tmp_path):
    from template import document

    polars = pytest.importorskip("polars")
    table, _ = invoice_data
    _, first, _ = invoice_pdf
    out = tmp_path / "polars.pdf"
    compose(document, polars.from_arrow(table), out)
    assert out.read_bytes() == first.read_bytes()


# ---------------------------------------------------------------------- bad input end to end


def test_bad_records_are_reported_and_the_rest_rendered(tmp_path):
    from template import document

    table = generate.generate(6, seed=3)
    names = table.column("name").to_pylist()
    names[2] = "Zoë \u0645\u0631\u062d\u0628\u0627"  # Arabic: Noto Sans has no glyphs for it
    ids = table.column("invoice_no").to_pylist()
    ids[4] = None  # a required field
    table = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names))
    table = table.set_column(table.schema.get_field_index("invoice_no"), "invoice_no", pa.array(ids))
    out = tmp_path / "bad.pdf"
    report = compose(document, table, out)
    assert report.documents == 4
    assert sorted((r.record, r.field) for r in report.rejected) == [(2, "name"), (4, "invoice_no")]
    assert "U+0645" in str(report.rejected[[r.record for r in report.rejected].index(2)])
    docs = split_documents(pdf_pages_text(out))
    assert len(docs) == 4
    assert report.documents + len(report.rejected) == report.records == 6


def test_interrupted_job_leaves_no_file(invoice_data, tmp_path):
    from template import document

    _, path = invoice_data
    out = tmp_path / "never.pdf"

    def stop(records, pages, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compose(document, path, out, batch_size=10, part_size=10, progress=stop)
    # no print file, no manifest: only the hidden work directory with the part it finished,
    # which a resumed run takes up
    assert [p.name for p in tmp_path.iterdir()] == [".never.pdf.parts"]
    assert [p.name for p in (tmp_path / ".never.pdf.parts").iterdir()] == ["part-000000.ccmpart"]


# ---------------------------------------------------------------------- CLI


def test_cli_compose_prints_summary(invoice_data, tmp_path, capsys):
    _, path = invoice_data
    out = tmp_path / "cli.pdf"
    assert ccm_main(["compose", str(TEMPLATE), str(path), "-o", str(out), "--report", str(tmp_path / "r.json")]) == 0
    line = capsys.readouterr().out.strip()
    assert re.match(r"40 documents, \d+ pages in [\d.]+ s \([\d,]+ pages/s\) -> ", line), line
    assert out.exists() and (tmp_path / "r.json").exists()


def test_cli_missing_column_fails_cleanly(invoice_data, tmp_path):
    table, _ = invoice_data
    bad = tmp_path / "bad.parquet"
    pq.write_table(table.drop_columns(["postcode"]), bad)
    out = tmp_path / "x.pdf"
    proc = subprocess.run(
        [sys.executable, "-m", "ccmcore.cli", "compose", str(TEMPLATE), str(bad), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "'postcode'" in err and "address" in err
    assert not out.exists() and list(tmp_path.glob("*.part")) == [] and list(tmp_path.glob(".*part")) == []


def test_cli_wrong_type_fails_cleanly(invoice_data, tmp_path, capsys):
    table, _ = invoice_data
    bad = tmp_path / "bad.parquet"
    idx = table.schema.get_field_index("total_cents")
    pq.write_table(table.set_column(idx, "total_cents", table.column(idx).cast(pa.string())), bad)
    assert ccm_main(["compose", str(TEMPLATE), str(bad), "-o", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "total_cents" in err and "string" in err and "items" in err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("name, says", [("notes.txt", "not a Python (.py) file"), ("missing.py", "does not exist")])
def test_cli_bad_template_file_fails_in_one_line(invoice_data, tmp_path, capsys, name, says):
    _, path = invoice_data
    template = tmp_path / name
    if name == "notes.txt":
        template.write_text("document = None\n")
    assert ccm_main(["compose", str(template), str(path), "-o", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err and str(template) in err
