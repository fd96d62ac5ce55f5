"""Duplex is one setting, decided by the document for every format: Document(duplex=...),
compose(duplex=...) and ``ccm compose --duplex`` are the same, and the file's pages, the
report's page count and the sheet counters all count the blank backs."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from afp_read import read_groups

from ccmcore import Barcode, Document, Frame, PageTemplate, Paragraph, Style, compose, mm
from ccmcore.cli import main as ccm_main

#: documents of 1, 3 and 2 pages (4 lines a page)
DATA = pa.table({"t": ["\n".join(f"line {i}" for i in range(n)) for n in (3, 11, 8)], "id": ["A", "B", "C"]})
BLANKS = 2  # the 1- and 3-page documents get a blank back


def document(duplex: bool = False) -> Document:
    page = PageTemplate(
        "p",
        Frame(mm(20), mm(20), mm(100), "48pt"),
        [Barcode("code128", "{id}-{page}-{sheet}/{sheets}-{job_sheet}", x=mm(20), y=mm(80), name="sheet code")],
        size=(mm(148), mm(105)),
    )
    return Document(flow=[Paragraph("{t}", Style(size=10, leading=12))], first=page, duplex=duplex)


def pdf_pages(path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def afp_pages(path) -> int:
    return sum(len(g.pages) for g in read_groups(path))


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_the_report_counts_the_pages_in_the_file(tmp_path, fmt):
    simplex = compose(document(), DATA, tmp_path / f"s.{fmt}")
    duplex = compose(document(duplex=True), DATA, tmp_path / f"d.{fmt}")
    count = pdf_pages if fmt == "pdf" else afp_pages
    assert simplex.pages == count(tmp_path / f"s.{fmt}") == 6
    assert duplex.pages == count(tmp_path / f"d.{fmt}") == 6 + BLANKS


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_every_way_of_asking_for_duplex_gives_the_same_file(tmp_path, fmt):
    compose(document(duplex=True), DATA, tmp_path / f"doc.{fmt}")
    compose(document(), DATA, tmp_path / f"api.{fmt}", duplex=True)
    here = str(Path(__file__).parent)
    (tmp_path / "letter.py").write_text(
        f"import sys\nsys.path.insert(0, {here!r})\nfrom test_duplex import document\ndocument = document()\n"
    )
    pq.write_table(DATA, tmp_path / "data.parquet")
    rc = ccm_main(
        [
            "compose",
            str(tmp_path / "letter.py"),
            str(tmp_path / "data.parquet"),
            "-o",
            str(tmp_path / f"cli.{fmt}"),
            "--duplex",
            "-q",
        ]
    )
    assert rc == 0
    ref = (tmp_path / f"doc.{fmt}").read_bytes()
    assert (tmp_path / f"api.{fmt}").read_bytes() == ref
    assert (tmp_path / f"cli.{fmt}").read_bytes() == ref
    # and --no-duplex (compose(duplex=False)) overrides a duplex document
    compose(document(duplex=True), DATA, tmp_path / f"one.{fmt}", duplex=False)
    compose(document(), DATA, tmp_path / f"plain.{fmt}")
    assert (tmp_path / f"one.{fmt}").read_bytes() == (tmp_path / f"plain.{fmt}").read_bytes()


def test_sheet_numbers_count_the_backs(tmp_path):
    """{page}, {sheet} and {job_sheet} in a barcode count physical pages and sheets, blank
    backs included; a blank back carries nothing. Read from the rendered PDF."""
    import pypdfium2 as pdfium
    import zxingcpp

    out = tmp_path / "d.pdf"
    compose(document(), DATA, out, duplex=True)
    found = []
    for page in pdfium.PdfDocument(out):
        img = page.render(scale=4).to_pil()
        found.append([r.text for r in zxingcpp.read_barcodes(img)])
    assert found == [
        ["A-1-1/1-1"],
        [],
        ["B-1-1/2-2"],
        ["B-2-1/2-2"],
        ["B-3-2/2-3"],
        [],
        ["C-1-1/1-4"],
        ["C-2-1/1-4"],
    ]
