"""PDF/A through the job layer: compose(..., pdf=PdfOptions(...)), ``ccm compose
--pdf-standard``, a mail production and a distributed merge, read back by pikepdf and qpdf;
what a part forbids stops the job before anything is composed."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image as PILImage

from ccmcore import Document, Paragraph, Picture, compose
from ccmcore.cli import main as ccm_main
from ccmcore.errors import TemplateError
from ccmcore.images import Image
from ccmcore.parts import PartJob
from ccmcore.pdf import PdfOptions

TEMPLATE = Path(__file__).resolve().parent.parent / "examples" / "invoice" / "template.py"


def _status(path) -> str:
    with pikepdf.open(path) as pdf, pdf.open_metadata() as xmp:
        assert len(pdf.Root.OutputIntents) == 1
        return xmp.pdfa_status


def _qpdf_ok(path) -> None:
    if shutil.which("qpdf") is None:
        return
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def invoices(tmp_path_factory):
    import generate  # examples/invoice, put on sys.path by conftest

    path = tmp_path_factory.mktemp("data") / "invoices.parquet"
    pq.write_table(generate.generate(12, seed=3), path)
    return path


@pytest.mark.parametrize("standard,status", [("pdfa-2b", "2B"), ("pdfa-3b", "3B")])
def test_compose_writes_pdfa(invoices, tmp_path, standard, status):
    from template import document  # examples/invoice

    out = tmp_path / "invoices.pdf"
    plain = compose(document, invoices, tmp_path / "plain.pdf")
    report = compose(document, invoices, out, pdf=PdfOptions(standard=standard), title="Invoices")
    assert report.pages == plain.pages and report.documents == 12
    assert _status(out) == status
    _qpdf_ok(out)
    # the pages are the plain job's: PDF/A adds metadata and an output intent, nothing else
    with pikepdf.open(out) as a, pikepdf.open(tmp_path / "plain.pdf") as b:
        assert [p.Contents.read_bytes() for p in a.pages] == [p.Contents.read_bytes() for p in b.pages]


def test_cli_pdf_standard(invoices, tmp_path, capsys):
    out = tmp_path / "cli.pdf"
    assert (
        ccm_main(["compose", f"{TEMPLATE}:document", str(invoices), "-o", str(out), "--pdf-standard", "pdfa-2b"]) == 0
    )
    assert _status(out) == "2B"
    code = ccm_main(
        ["compose", f"{TEMPLATE}:document", str(invoices), "-o", str(tmp_path / "x.afp"), "--pdf-standard", "pdfa-2b"]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert "--pdf-standard applies to PDF output" in err and "Traceback" not in err


def test_cmyk_image_stops_a_pdfa_job_before_composing(tmp_path):
    buf = io.BytesIO()
    PILImage.new("CMYK", (8, 8), (0, 255, 255, 0)).save(buf, "JPEG")
    logo = Image(buf.getvalue(), "logo-cmyk.jpg")  # a file's name, as a path gives it
    doc = Document(flow=[Paragraph("Hello"), Picture(logo, width="10mm")])
    data = pa.table({"x": [1, 2]})
    out = tmp_path / "cmyk.pdf"
    with pytest.raises(TemplateError, match="CMYK image 'logo-cmyk.jpg'.*pdfa-2b.*RGB or grey"):
        compose(doc, data, out, pdf=PdfOptions(standard="pdfa-2b"))
    assert not out.exists()
    assert compose(doc, data, out).documents == 2  # a plain PDF takes it


def test_options_checked():
    with pytest.raises(ValueError, match="choose from pdfa-2b, pdfa-3b"):
        PdfOptions(standard="pdfa-1a")
    assert PdfOptions(standard="PDFA-3B").standard == "pdfa-3b"
    with pytest.raises(ValueError, match="pdf options were given for an AFP job"):
        compose(Document(flow=[Paragraph("x")]), pa.table({"x": [1]}), "/tmp/never.afp", pdf=PdfOptions("pdfa-2b"))


def test_description_carries_the_standard(invoices):
    from template import document

    job = PartJob.compile(document, pq.read_schema(invoices), "pdf", pdf=PdfOptions(standard="pdfa-3b"))
    again = PartJob.from_description(job.description(), document)
    assert again.pdf == PdfOptions(standard="pdfa-3b")


def test_mail_production_outputs_are_pdfa(tmp_path):
    from ccmcore.post import MailPlan

    doc = Document(flow=[Paragraph("Dear customer")])
    out = tmp_path / "mail.pdf"
    report = compose(doc, pa.table({"x": [1, 2, 3]}), out, mail=MailPlan(), pdf=PdfOptions(standard="pdfa-2b"))
    (written,) = report.mail.files["outputs"]
    assert _status(written) == "2B"
    _qpdf_ok(written)


def test_no_notdef_glyph_is_drawn(invoices, tmp_path):
    """6.2.11.8: text never shows glyph 0; a character the font lacks rejects its record
    instead, so every 2-byte code the invoices show is a real glyph."""
    from template import document

    out = tmp_path / "invoices.pdf"
    compose(document, invoices, out, pdf=PdfOptions(standard="pdfa-2b"))
    shown = 0
    with pikepdf.open(out) as pdf:
        for page in pdf.pages:
            for operands, op in pikepdf.parse_content_stream(page):
                if str(op) not in ("Tj", "TJ"):
                    continue
                for s in operands[0] if str(op) == "TJ" else operands:
                    if isinstance(s, pikepdf.String):
                        codes = bytes(s)
                        assert len(codes) % 2 == 0
                        assert all(codes[i : i + 2] != b"\0\0" for i in range(0, len(codes), 2))
                        shown += len(codes) // 2
    assert shown > 1000


def test_a_missing_glyph_rejects_the_record_not_the_job(tmp_path):
    doc = Document(flow=[Paragraph("{name}")])
    data = pa.table({"name": ["Anna", "\U0001f600 smile", "Berta"]})  # the default font has no emoji
    report = compose(doc, data, tmp_path / "r.pdf", pdf=PdfOptions(standard="pdfa-2b"))
    assert report.documents == 2 and [r.record for r in report.rejected] == [1]
    assert "has no glyph for U+1F600" in report.rejected[0].reason


def test_image_with_alpha_keeps_its_soft_mask(tmp_path):
    """6.2.10: PDF/A-2 and -3 allow a soft mask (SMask) on an image; with the sRGB output
    intent no page needs a transparency group."""
    buf = io.BytesIO()
    PILImage.new("RGBA", (8, 8), (200, 30, 30, 128)).save(buf, "PNG")
    doc = Document(flow=[Paragraph("Logo"), Picture(Image(buf.getvalue(), "logo.png"), width="10mm")])
    out = tmp_path / "alpha.pdf"
    compose(doc, pa.table({"x": [1]}), out, pdf=PdfOptions(standard="pdfa-2b"))
    assert _status(out) == "2B"
    with pikepdf.open(out) as pdf:
        xobjects = pdf.pages[0].Resources.XObject
        (name,) = xobjects.keys()  # older pikepdf dictionaries have no values()
        image = xobjects[name]
        assert image.ColorSpace == "/DeviceRGB" and image.SMask.ColorSpace == "/DeviceGray"
        assert "/Interpolate" not in image or not image.Interpolate  # 6.2.8
        assert "/Group" not in pdf.pages[0]
