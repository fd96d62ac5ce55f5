"""PDF/A-2b and PDF/A-3b from the PDF writer, read back by pikepdf (its XMP parser and its
PDF/A status), qpdf and PDFium.

veraPDF cannot be installed where these tests run; the clauses of ISO 19005-2 they check
instead, and how, are listed in docs/pdfa.md.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pikepdf
import pypdfium2 as pdfium
import pytest
from dl_helpers import Rect, Text, one_page, pt

from ccmcore.fonts import default_family
from ccmcore.pdf import PdfWriter
from ccmcore.pdf.pdfa import PDF_STANDARDS, pdf_standard, srgb_profile, xmp_packet


@pytest.fixture(scope="module")
def noto():
    return default_family().regular


def _write(dl, **kw) -> bytes:
    out = io.BytesIO()
    with PdfWriter(out, **kw) as w:
        w.write(dl)
    return out.getvalue()


def _page(noto):
    return one_page(
        [Text("Rechnung & Gutschrift", pt(72), pt(100), noto, pt(12)), Rect(pt(72), pt(120), pt(200), pt(20))]
    )


@pytest.mark.parametrize("standard,part", [("pdfa-2b", "2"), ("pdfa-3b", "3")])
def test_pdfa_metadata_and_output_intent(noto, standard, part):
    when = datetime(2026, 12, 4, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    data = _write(
        _page(noto), title="Statements <Q4> & more", author="Muster Druck GmbH", creation_date=when, standard=standard
    )
    # 6.1.2: the header and the binary comment line
    assert data.startswith(b"%PDF-1.7\n%") and all(b > 127 for b in data.split(b"\n")[1][1:5])
    pdf = pikepdf.open(io.BytesIO(data))
    assert pdf.check_pdf_syntax() == []
    # 6.1.3: a file ID, no encryption
    assert len(pdf.trailer.ID) == 2 and not pdf.is_encrypted
    # 6.6.2.1: the metadata stream, uncompressed, in the catalog
    meta = pdf.Root.Metadata
    assert meta.Type == "/Metadata" and meta.Subtype == "/XML" and "/Filter" not in meta
    raw = meta.read_raw_bytes()
    assert raw.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'.encode())
    assert b"bytes=" not in raw and b"encoding=" not in raw.split(b"?>")[0]
    with pdf.open_metadata() as xmp:
        assert xmp.pdfa_status == f"{part}B"
        # 6.6: the XMP repeats the Info dictionary
        assert xmp["dc:title"] == str(pdf.docinfo.Title) == "Statements <Q4> & more"
        assert xmp["dc:creator"] == [str(pdf.docinfo.Author)]
        assert xmp["pdf:Producer"] == str(pdf.docinfo.Producer) == "ccmcore"
        assert xmp["xmp:CreateDate"] == "2026-12-04T10:30:00+01:00"
    # the same instant in the Info dictionary (ISO 32000-1's form, no closing apostrophe)
    assert pikepdf.models.metadata.decode_pdf_date(str(pdf.docinfo.CreationDate)) == when
    # 6.2.3: the output intent, its profile the shipped sRGB
    (intent,) = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1" and intent.OutputConditionIdentifier == "sRGB IEC61966-2.1"
    profile = intent.DestOutputProfile
    assert profile.N == 3 and profile.read_bytes() == srgb_profile()
    assert hashlib.md5(profile.read_bytes()).hexdigest() == "3947129e0967089c736f91a2989d89d8"
    head = profile.read_bytes()[:40]
    assert head[12:16] == b"mntr" and head[16:20] == b"RGB " and head[8] == 2  # class, space, version < 5
    # 6.2.11.4: every font embedded
    for page in pdf.pages:
        fonts = page.Resources.Font
        for name in fonts.keys():  # noqa: SIM118  (older pikepdf dictionaries have no values())
            desc = fonts[name].DescendantFonts[0].FontDescriptor
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    # the text reads back
    doc = pdfium.PdfDocument(data)
    assert doc[0].get_textpage().get_text_range().split()[:2] == ["Rechnung", "&"]


def test_plain_pdf_has_no_conformance_entries(noto):
    pdf = pikepdf.open(io.BytesIO(_write(_page(noto))))
    assert "/Metadata" not in pdf.Root and "/OutputIntents" not in pdf.Root


def test_pdfa_is_deterministic_without_a_date(noto):
    a, b = (_write(_page(noto), title="T", standard="pdfa-2b") for _ in range(2))
    assert a == b
    pdf = pikepdf.open(io.BytesIO(a))
    xmp = pdf.Root.Metadata.read_bytes()
    assert b"CreateDate" not in xmp and b"ModifyDate" not in xmp


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_accepts_pdfa(noto, tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(_write(_page(noto), title="T", standard="pdfa-3b"))
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_standard_names():
    assert [pdf_standard(n).part for n in PDF_STANDARDS] == [2, 3, None, 2, 3]
    assert [pdf_standard(n).ua for n in PDF_STANDARDS] == [None, None, 1, 1, 1]
    assert pdf_standard("PDFA-2B").conformance == "B"
    assert pdf_standard(None) is None
    with pytest.raises(ValueError, match="pdfa-2b, pdfa-3b"):
        PdfWriter(io.BytesIO(), standard="pdfa-1b")


def test_metadata_refuses_what_xml_cannot_hold():
    with pytest.raises(ValueError, match="title .* control character"):
        xmp_packet(pdf_standard("pdfa-2b"), title="bad\x01", author=None, producer=None, created=None)
    # markup in a value is escaped, not interpreted
    packet = xmp_packet(pdf_standard("pdfa-2b"), title="</rdf:li>&", author=None, producer="p", created=None)
    assert re.search(rb"<rdf:li xml:lang=\"x-default\">&lt;/rdf:li&gt;&amp;</rdf:li>", packet)
