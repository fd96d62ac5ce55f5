"""The standard invoice job to AFP: validated, text decoded back per page group, compared with PDF."""

from __future__ import annotations

import re
from pathlib import Path

import generate  # examples/invoice, on sys.path via conftest
import pyarrow.parquet as pq
import pytest
from afp_read import read_groups as _read

from ccmcore import compose
from ccmcore.afp.reader import iter_fields
from ccmcore.afp.validate import validate
from ccmcore.cli import main as ccm_main

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "invoice" / "template.py"


def money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def read_groups(path: Path):
    """[(group name, tags, [page texts])] read back by tests/afp_read.py."""
    return [(g.name, g.tags, [p.text for p in g.pages]) for g in _read(path)]


@pytest.fixture(scope="module")
def invoice_files(tmp_path_factory):
    from template import document

    d = tmp_path_factory.mktemp("afp")
    table = generate.generate(40, seed=11)
    pq.write_table(table, d / "in.parquet")
    pdf_report = compose(document, d / "in.parquet", d / "inv.pdf")
    afp_report = compose(document, d / "in.parquet", d / "inv.afp", format="afp")
    dup_report = compose(document, d / "in.parquet", d / "dup.afp", format="afp", duplex=True)
    return table, d, pdf_report, afp_report, dup_report


def test_invoice_afp_validates(invoice_files):
    _, d, _, report, dup = invoice_files
    assert validate(d / "inv.afp") == []
    assert validate(d / "dup.afp") == []
    assert report.documents == 40 and not report.rejected


def test_every_page_group_holds_its_customer(invoice_files):
    table, d, pdf_report, afp_report, _ = invoice_files
    groups = read_groups(d / "inv.afp")
    assert len(groups) == 40
    assert sum(len(g[2]) for g in groups) == afp_report.pages == pdf_report.pages
    for row, (_, tags, pages) in zip(table.to_pylist(), groups):
        text = " ".join(pages)
        assert row["name"] in text
        assert f"Invoice {row['invoice_no']}" in text
        assert money(row["total_cents"]) in text.split()
        for n, p in enumerate(pages, 1):
            assert re.search(rf"Page {n} of {len(pages)}\b", p)
        assert set(tags) == {"Customer ID", "Invoice Number", "Name", "Postcode"}


def test_page_counts_per_group_equal_the_pdf(invoice_files):
    import pypdfium2 as pdfium

    _, d, _, _, _ = invoice_files
    pdf = pdfium.PdfDocument(str(d / "inv.pdf"))
    pdf_counts = []
    for i in range(len(pdf)):
        m = re.search(r"Page (\d+) of (\d+)", pdf[i].get_textpage().get_text_range())
        if m.group(1) == "1":
            pdf_counts.append(int(m.group(2)))
    pdf.close()
    assert [len(g[2]) for g in read_groups(d / "inv.afp")] == pdf_counts


def test_duplex_starts_every_document_on_a_new_sheet(invoice_files):
    _, d, _, _, _ = invoice_files
    simplex = read_groups(d / "inv.afp")
    duplex = read_groups(d / "dup.afp")
    for s, du in zip(simplex, duplex):
        assert len(du[2]) == len(s[2]) + (len(s[2]) % 2)
        assert len(du[2]) % 2 == 0


def test_independent_reader_parses_every_field(invoice_files):
    afp = pytest.importorskip("afp")
    _, d, _, _, _ = invoice_files
    with open(d / "inv.afp", "rb") as fh:
        fields = list(
            afp.stream(
                fh, allow_unknown_fields=True, allow_unknown_triplets=True, allow_unknown_functions=True, strict=False
            )
        )
    assert len(fields) == sum(1 for _ in iter_fields(d / "inv.afp"))
    assert not [f for f in fields if f.get("_exceptions")]


def test_cli_writes_and_validates_afp(invoice_files, tmp_path, capsys):
    _, d, _, _, _ = invoice_files
    out = tmp_path / "cli.afp"
    assert (
        ccm_main(
            [
                "compose",
                str(TEMPLATE),
                str(d / "in.parquet"),
                "-o",
                str(out),
                "--format",
                "afp",
                "--duplex",
                "--form-definition",
                "F1INV",
            ]
        )
        == 0
    )
    assert "40 documents" in capsys.readouterr().out
    assert ccm_main(["afp", "validate", str(out)]) == 0
    assert ccm_main(["afp", "inspect", str(out)]) == 0
    dump = capsys.readouterr().out
    assert "BNG" in dump and "TLE" in dump and "PTX" in dump


def test_afp_output_is_deterministic(invoice_files, tmp_path):
    from template import document

    _, d, _, _, _ = invoice_files
    again = tmp_path / "again.afp"
    compose(document, d / "in.parquet", again, format="afp", batch_size=9)
    assert again.read_bytes() == (d / "inv.afp").read_bytes()
