"""A job with no document to write (no records, or every record rejected) writes no print file, in
both formats, through the API and the CLI; a job with one document left is a file real readers accept."""

from __future__ import annotations

import io
import json
import os

import pikepdf
import pyarrow as pa
import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest

from ccmcore import EmptyJobError, compose
from ccmcore.afp import AfpWriter
from ccmcore.afp.validate import validate
from ccmcore.cli import EXIT_NO_DOCUMENTS
from ccmcore.cli import main as ccm_main
from ccmcore.pdf import PdfWriter

TEMPLATE = """
from ccmcore import Document, Frame, PageTemplate, Paragraph, mm

page = PageTemplate("p", Frame(mm(20), mm(20), mm(170), mm(250)), [])
document = Document(flow=[Paragraph("Dear {name},")], first=page, required=["name"])
"""
_namespace: dict = {}
exec(TEMPLATE, _namespace)  # the same template through the API and the CLI
DOCUMENT = _namespace["document"]
EMPTY = pa.table({"name": pa.array([], pa.string())})
ALL_REJECTED = pa.table({"name": pa.array([None, None, None], pa.string())})
ONE_LEFT = pa.table({"name": pa.array([None, "Ann", None], pa.string())})


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
@pytest.mark.parametrize("data, records", [(EMPTY, 0), (ALL_REJECTED, 3)], ids=["no-records", "all-rejected"])
def test_no_documents_writes_no_file_and_says_why(tmp_path, fmt, data, records):
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(EmptyJobError, match="no documents to write") as e:
        compose(DOCUMENT, data, out, format=fmt)
    assert leftovers(tmp_path) == []  # not the output, not a temporary part
    report = e.value.report
    assert (report.records, report.documents, report.pages) == (records, 0, 0)
    assert [(r.record, r.field) for r in report.rejected] == [(i, "name") for i in range(records)]
    assert ("rejected" in str(e.value)) == (records > 0)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_an_existing_file_at_the_output_path_is_left_alone(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(b"yesterday")
    with pytest.raises(EmptyJobError):
        compose(DOCUMENT, ALL_REJECTED, out, format=fmt)
    assert out.read_bytes() == b"yesterday" and leftovers(tmp_path) == [out.name]


def test_one_document_left_is_a_file_every_reader_accepts(tmp_path):
    pdf_path, afp_path = tmp_path / "one.pdf", tmp_path / "one.afp"
    for path, fmt in ((pdf_path, "pdf"), (afp_path, "afp")):
        report = compose(DOCUMENT, ONE_LEFT, path, format=fmt)
        assert (report.documents, [r.record for r in report.rejected]) == (1, [0, 2])
    with pikepdf.open(pdf_path) as pdf:
        assert pdf.check_pdf_syntax() == [] and len(pdf.pages) == 1  # qpdf's checks
    doc = pdfium.PdfDocument(str(pdf_path))
    assert len(doc) == 1 and "Dear Ann," in doc[0].get_textpage().get_text_range()
    doc.close()
    assert validate(afp_path.read_bytes()) == []
    afp = pytest.importorskip("afp")
    with open(afp_path, "rb") as fh:
        fields = list(
            afp.stream(
                fh, allow_unknown_fields=True, allow_unknown_triplets=True, allow_unknown_functions=True, strict=False
            )
        )
    assert [f for f in fields if f.get("_exceptions")] == []
    assert [f["SFTypeID"] for f in fields].count(afp.SF_BPG) == 1  # one page, read by another parser


def test_writers_refuse_to_finish_a_file_without_pages(tmp_path):
    path = tmp_path / "w.pdf"
    w = PdfWriter(path)
    with pytest.raises(EmptyJobError):
        w.close()
    assert not path.exists()
    w = AfpWriter(tmp_path / "w.afp")
    with pytest.raises(EmptyJobError):
        w.close()
    assert leftovers(tmp_path) == []
    buf = io.BytesIO()
    with pytest.raises(EmptyJobError):
        with AfpWriter(buf):
            pass
    assert buf.getvalue() == b""  # the AFP writer writes only at close
    buf = io.BytesIO()
    with pytest.raises(EmptyJobError):
        PdfWriter(buf).close()
    assert b"%%EOF" not in buf.getvalue()  # a caller's file object keeps an unfinished header only


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_cli_exit_status_message_and_report(tmp_path, capsys, fmt):
    template = tmp_path / "letter.py"
    template.write_text(TEMPLATE)
    data = tmp_path / "all_rejected.parquet"
    pq.write_table(ALL_REJECTED, data)
    out, report = tmp_path / f"out.{fmt}", tmp_path / "report.json"
    argv = ["compose", str(template), str(data), "-o", str(out), "--format", fmt, "--report", str(report), "-q"]
    assert ccm_main(argv) == EXIT_NO_DOCUMENTS == 3
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "ccm: no documents to write: all 3 records were rejected; no print file was written"
    assert sum(line.startswith("rejected: record") for line in err) == 3
    assert not out.exists()
    assert json.loads(report.read_text())["records"] == 3
    pq.write_table(EMPTY, data)
    assert ccm_main(argv) == 3
    assert "the data has no records" in capsys.readouterr().err
    assert not out.exists() and not any(name.endswith(".part") for name in os.listdir(tmp_path))
