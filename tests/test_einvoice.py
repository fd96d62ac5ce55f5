"""E-invoices: the EN 16931 mapping, the rules that reject a record, the CII XML checked
by the official Factur-X XSDs and Schematron (EN 16931 rules included) and by the
XRechnung rules, and the PDF/A-3 files that carry it, read back with pikepdf."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pikepdf
import pyarrow as pa
import pytest
from cii_validate import NS, validate, xrechnung_breaks
from lxml import etree

from ccmcore import Document, Paragraph, col, compose
from ccmcore.einvoice import EInvoice, Lines, Party, Payment
from ccmcore.errors import BindingError, OutputError, TemplateError

ROOT = Path(__file__).resolve().parent.parent
FX = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"

import einvoice as example  # examples/invoice, put on sys.path by conftest  # noqa: E402
import generate  # noqa: E402


def german(n: int, seed: int = 7) -> pa.Table:
    return example.german(generate.generate(n, seed=seed))


def with_profile(profile: str) -> Document:
    return dataclasses.replace(example.document, einvoice=dataclasses.replace(example.einvoice, profile=profile))


def embedded(path: Path) -> tuple[pikepdf.Pdf, bytes]:
    pdf = pikepdf.open(path)
    spec = pdf.Root.AF[0]
    return pdf, spec.EF.F.read_bytes()


# ---------------------------------------------------------------------------------- small mappings

SELLER = Party(
    "Muster Druck GmbH",
    street="Invalidenstr. 1",
    postcode="10115",
    city="Berlin",
    country="DE",
    vat_id="DE123456789",
)

ITEM = pa.struct(
    [
        ("name", pa.string()),
        ("qty", pa.decimal128(12, 3)),
        ("price", pa.decimal128(12, 4)),
        ("net", pa.int64()),
        ("cat", pa.string()),
        ("rate", pa.decimal128(5, 2)),
    ]
)


def small_table(rows: list[dict]) -> pa.Table:
    base = {
        "no": "R-1",
        "day": dt.date(2026, 3, 1),
        "buyer": "Kunde AG",
        "country": "DE",
        "net_total": 1000,
        "gross": 1190,
    }
    full = [{**base, **r} for r in rows]
    schema = pa.schema(
        [
            ("no", pa.string()),
            ("day", pa.date32()),
            ("buyer", pa.string()),
            ("country", pa.string()),
            ("net_total", pa.int64()),
            ("gross", pa.int64()),
            ("items", pa.list_(ITEM)),
        ]
    )
    return pa.Table.from_pylist(full, schema=schema)


def item(name="Druck", qty="1", price="10", net=1000, cat="S", rate="19"):
    return {
        "name": name,
        "qty": Decimal(qty),
        "price": Decimal(price),
        "net": net,
        "cat": cat,
        "rate": None if rate is None else Decimal(rate),
    }


def small_doc(profile="en16931", **changes) -> Document:
    e = EInvoice(
        profile,
        number=col("no"),
        issue_date=col("day"),
        seller=SELLER,
        buyer=Party(col("buyer"), city="München", postcode="80331", country=col("country")),
        lines=Lines(
            "items",
            name=col("name"),
            quantity=col("qty"),
            net_price=col("price"),
            net_amount=col("net"),
            vat_category=col("cat"),
            vat_rate=col("rate"),
        ),
        payment=Payment("58", iban="DE02120300000000202051"),
        payment_terms="Zahlbar sofort",
        line_total=col("net_total"),
        grand_total=col("gross"),
        exemption_reasons={"E": "Steuerfrei nach § 4 Nr. 11 UStG"},
        **changes,
    )
    return Document(flow=[Paragraph("Rechnung {no}")], einvoice=e)


# ---------------------------------------------------------------------------------- template mistakes


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: dataclasses.replace(example.einvoice, profile="zugferd-comfort"), "profile 'zugferd-comfort'"),
        (lambda: Party("Kunde AG", country="DE", tax_number="1"), None),
        (
            lambda: dataclasses.replace(example.einvoice, buyer=Party(col("name"))),
            "the buyer needs a country",
        ),
        (
            lambda: dataclasses.replace(example.einvoice, profile="xrechnung", buyer_reference=None),
            "BR-DE-15",
        ),
        (lambda: Lines("items", name="x", quantity=1, net_amount=1, net_price=1, vat_category="S"), "needs a vat_rate"),
        (
            lambda: Lines("items", name="x", quantity=1, net_amount=1, net_price=1, vat_category="X"),
            "'X' is not one of",
        ),
        (lambda: Payment("58", iban=None), None),
        (lambda: Payment(col("means")), "means takes a fixed code"),
        (lambda: dataclasses.replace(example.einvoice, payment=Payment("58")), "needs an iban (BR-61)"),
        (lambda: dataclasses.replace(example.einvoice, type_code="999"), "type_code '999'"),
        (lambda: dataclasses.replace(example.einvoice, number=3.5), "takes a str, int, Decimal or date"),
        (lambda: dataclasses.replace(example.einvoice, note=""), "note is empty"),
        (lambda: Document(einvoice="factur-x"), "einvoice must be an EInvoice"),
    ],
)
def test_mapping_mistakes_are_template_errors(make, message):
    if message is None:
        make()  # allowed on its own: the mistake is only one where it is used
        return
    with pytest.raises(TemplateError, match=re.escape(message)):
        make()


def test_mistakes_seen_with_the_data_stop_the_job_before_anything_is_written(tmp_path):
    data = german(3)
    doc = dataclasses.replace(
        example.document, einvoice=dataclasses.replace(example.einvoice, grand_total=col("gross"))
    )
    with pytest.raises(BindingError, match=r"'gross' is not a column of the data"):
        compose(doc, data, tmp_path / "out")
    floats = data.set_column(
        data.schema.get_field_index("vat_cents"), "vat_cents", data.column("vat_cents").cast(pa.float64())
    )
    with pytest.raises(BindingError, match=r"'vat_cents' holds double; it needs an amount: integer cents or a decimal"):
        compose(example.document, floats, tmp_path / "out")
    iban = dataclasses.replace(example.einvoice, payment=Payment("58", iban="DE02120300000000202052"))
    with pytest.raises(TemplateError, match="not a valid IBAN"):
        compose(dataclasses.replace(example.document, einvoice=iban), data, tmp_path / "out")
    for_e = dataclasses.replace(
        example.einvoice, lines=dataclasses.replace(example.einvoice.lines, vat_category="E", vat_rate=0)
    )
    with pytest.raises(TemplateError, match=r"exemption_reasons\['E'\]"):
        compose(dataclasses.replace(example.document, einvoice=for_e), data, tmp_path / "out")
    with pytest.raises(TemplateError, match="PDF/A-3 .pdfa-3b. carries its XML, pdfa-2b cannot"):
        from ccmcore.pdf import PdfOptions

        compose(example.document, data, tmp_path / "out", pdf=PdfOptions("pdfa-2b"))
    with pytest.raises(TemplateError, match="its files are PDF/A-3b, not tagged; pdfa-3b\\+pdfua-1 is not made"):
        compose(example.document, data, tmp_path / "out", pdf=PdfOptions("pdfa-3b+pdfua-1"))
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------- rules that reject a record


@pytest.mark.parametrize(
    "row, rule",
    [
        ({"net_total": 999, "items": [item()]}, "BR-CO-10"),
        ({"gross": 1100, "items": [item()]}, "BR-CO-15"),
        ({"items": []}, "BR-16"),
        ({"items": [item(rate="0")]}, "BR-S-05"),
        ({"items": [item(cat="Z", rate="19")]}, "BR-Z-05"),
        ({"items": [item(cat="XX")]}, "BR-CL-18"),
        ({"items": [item(cat="G", rate="0")]}, "BR-G-10"),
        ({"items": [item(cat="O", rate="19")]}, "BR-O-05"),
        ({"items": [item(price="-1")]}, "BR-27"),
        ({"items": [item(name=None)]}, "BR-25"),
        ({"items": [item(name="Druck\x07")]}, "XML"),
        ({"country": "Deutschland", "items": [item()]}, "BR-CL-14"),
        ({"buyer": None, "items": [item()]}, "BR-07"),
        ({"day": None, "items": [item()]}, "BR-03"),
        ({"items": [item(rate=None)]}, "BR-S-05"),
    ],
)
def test_a_record_that_breaks_a_rule_is_rejected_with_the_rule_id(tmp_path, row, rule):
    good = {"no": "R-0", "items": [item()], "net_total": 1000, "gross": 1190}
    bad = {"no": "R-1", **row}
    report = compose(small_doc(), small_table([good, bad]), tmp_path / "out")
    assert report.documents == 1
    assert [r.record for r in report.rejected] == [1]
    assert report.rejected[0].reason.startswith(f"[{rule}] "), report.rejected[0].reason
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["R-0.pdf"]
    m = report.manifest.to_pylist()
    assert m[1]["status"] == "rejected" and m[1]["file"] is None and m[1]["reason"].startswith(f"[{rule}]")


def test_the_totals_are_computed_exactly_per_vat_rate(tmp_path):
    # 3 x 0.3333 at 19 % and 2.5 at 7 %: half-cent VAT amounts round away from zero per rate
    lines = [
        item("A", qty="3", price="0.3333", net=100, rate="19"),
        item("B", qty="1.5", price="1.6667", net=250, rate="7"),
        item("C", qty="1", price="0.05", net=5, rate="7"),
        item("D", qty="1", price="10", net=1000, cat="Z", rate="0"),
        item("E", qty="2", price="5", net=1000, cat="E", rate="0"),
    ]
    net = 100 + 250 + 5 + 1000 + 1000
    vat = 19 + 18  # 100 x 19 % = 19.00; 255 x 7 % = 17.85 -> 18
    report = compose(
        small_doc(), small_table([{"items": lines, "net_total": net, "gross": net + vat}]), tmp_path / "out"
    )
    assert report.documents == 1, report.rejected
    _, xml = embedded(tmp_path / "out" / "R-1.pdf")
    doc = etree.fromstring(xml)
    taxes = [
        (
            t.findtext("ram:CategoryCode", namespaces=NS),
            t.findtext("ram:RateApplicablePercent", namespaces=NS),
            t.findtext("ram:BasisAmount", namespaces=NS),
            t.findtext("ram:CalculatedAmount", namespaces=NS),
        )
        for t in doc.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    ]
    assert taxes == [
        ("S", "7", "2.55", "0.18"),
        ("S", "19", "1.00", "0.19"),
        ("Z", "0", "10.00", "0.00"),
        ("E", "0", "10.00", "0.00"),
    ]
    quantities = [q.text for q in doc.iterfind(".//ram:BilledQuantity", NS)]
    assert quantities == ["3", "1.5", "1", "1", "2"]
    prices = [p.text for p in doc.iterfind(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", NS)]
    assert prices == ["0.3333", "1.6667", "0.05", "10", "5"]
    assert doc.findtext(".//ram:GrandTotalAmount", namespaces=NS) == "23.92"
    assert "Steuerfrei nach § 4 Nr. 11 UStG" in xml.decode()
    for level in ("basic", "en16931", "extended"):
        report = compose(
            small_doc(level), small_table([{"items": lines, "net_total": net, "gross": net + vat}]), tmp_path / level
        )
        _, xml = embedded(tmp_path / level / "R-1.pdf")
        errors, warnings = validate(xml, level)
        assert errors == [], (level, errors)


# ---------------------------------------------------------------------------------- the XML, by the official rules


@pytest.mark.parametrize("profile", ["basic", "en16931", "extended", "xrechnung"])
def test_each_profile_passes_its_xsd_and_schematron(tmp_path, profile):
    report = compose(with_profile(profile), german(12, seed=3), tmp_path / "out")
    assert report.documents == 12 and not report.rejected
    name = "xrechnung.xml" if profile == "xrechnung" else "factur-x.xml"
    for path in sorted((tmp_path / "out").iterdir()):
        pdf, xml = embedded(path)
        assert str(pdf.Root.AF[0].F) == name
        errors, warnings = validate(xml, profile)
        assert errors == [] and warnings == [], (path.name, errors, warnings)
        if profile == "xrechnung":
            assert xrechnung_breaks(xml) == [], path.name
        with pdf.open_metadata() as meta:
            assert (
                meta[f"{FX}ConformanceLevel"]
                == {"basic": "BASIC", "en16931": "EN 16931", "extended": "EXTENDED", "xrechnung": "XRECHNUNG"}[profile]
            )
            assert meta[f"{FX}DocumentFileName"] == name


def test_the_xrechnung_checks_catch_what_they_check():
    base = etree.fromstring(_one_xml("xrechnung"))
    assert xrechnung_breaks(etree.tostring(base)) == []
    for path, rule in (
        ("//ram:BuyerReference", "BR-DE-15"),
        ("//ram:SellerTradeParty/ram:DefinedTradeContact", "BR-DE-2"),
        ("//ram:BusinessProcessSpecifiedDocumentContextParameter", "PEPPOL-EN16931-R001"),
        ("//ram:BuyerTradeParty/ram:URIUniversalCommunication", "PEPPOL-EN16931-R010"),
    ):
        doc = etree.fromstring(etree.tostring(base))
        for el in doc.xpath(path, namespaces=NS):
            el.getparent().remove(el)
        assert rule in xrechnung_breaks(etree.tostring(doc))


_XML_CACHE: dict = {}


def _one_xml(profile: str) -> bytes:
    if profile not in _XML_CACHE:
        from ccmcore.einvoice.compiled import CompiledEInvoice

        data = german(3)
        compiled = CompiledEInvoice(dataclasses.replace(example.einvoice, profile=profile), data.schema)
        xml, rejected = compiled.build(data.combine_chunks().to_batches()[0])
        assert not rejected
        _XML_CACHE[profile] = xml[0].as_py().encode()
    return _XML_CACHE[profile]


def test_the_schematron_catches_a_total_that_does_not_add_up():
    # the check is real: a tampered grand total fails the EN 16931 rules
    xml = _one_xml("en16931")
    doc = etree.fromstring(xml)
    doc.find(".//ram:GrandTotalAmount", NS).text = "1.00"
    errors, _ = validate(etree.tostring(doc), "en16931")
    assert any(e.startswith("BR-CO-15") for e in errors), errors


# ---------------------------------------------------------------------------------- the PDF/A-3 files


def test_each_file_is_a_pdfa3_with_its_invoice_embedded(tmp_path):
    data = german(20, seed=11)
    report = compose(example.document, data, tmp_path / "rechnungen")
    files = sorted((tmp_path / "rechnungen").iterdir())
    assert [f.name for f in files] == sorted(f"{n}.pdf" for n in data.column("invoice_no").to_pylist())
    manifest = report.manifest.to_pylist()
    for row in manifest:
        path = tmp_path / "rechnungen" / row["file"]
        raw = path.read_bytes()
        assert raw[row["offset"] :].startswith(b"%%ccmcore-document %d\n" % row["record"])
        assert row["offset"] + row["length"] < len(raw) and row["first_page"] == 0
        assert re.match(rb"%PDF-1\.7\n%[\x80-\xff]{4}", raw)
        pdf, xml = embedded(path)
        assert pdf.check_pdf_syntax() == []  # qpdf's own structural check
        root = pdf.Root
        assert "/Encrypt" not in pdf.trailer and "/ID" in pdf.trailer
        with pdf.open_metadata() as meta:
            assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
            assert meta["dc:title"] == str(pdf.docinfo["/Title"]) == row["key"]
            assert meta[f"{FX}DocumentType"] == "INVOICE" and meta[f"{FX}Version"] == "1.0"
        packet = root.Metadata.read_bytes().decode()
        assert "<pdfaSchema:prefix>fx</pdfaSchema:prefix>" in packet  # the extension schema PDF/A asks for
        oi = root.OutputIntents[0]
        assert oi.S == "/GTS_PDFA1" and oi.DestOutputProfile.N == 3
        spec = root.AF[0]
        assert spec.AFRelationship == "/Alternative" and str(spec.UF) == "factur-x.xml"
        names = root.Names.EmbeddedFiles.Names
        assert str(names[0]) == "factur-x.xml" and names[1].objgen == spec.objgen
        stream = spec.EF.F
        assert str(stream.Subtype) == "/text/xml"
        assert raw.count(b"/Subtype/text#2Fxml") == 1  # the '/' escaped, as PDF/A wants a MIME type name
        assert int(stream.Params.Size) == len(xml)
        assert bytes(stream.Params.CheckSum) == hashlib.md5(xml).digest()
        doc = etree.fromstring(xml)
        assert doc.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == row["key"]
        # the totals the page prints are the XML's
        gross = doc.findtext(".//ram:GrandTotalAmount", namespaces=NS)
        text = _page_text(path)
        assert gross.replace(".", ",") in text.replace(".", ""), (gross, row["key"])


def _page_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_a_key_that_cannot_name_a_file_rejects_its_record(tmp_path):
    rows = [
        {"no": "R-1", "items": [item()]},
        {"no": "R-1", "items": [item()]},  # taken by the record before
        {"no": "a/b", "items": [item()]},
        {"no": ".hidden", "items": [item()]},
        {"no": "R-2", "items": [item()]},
    ]
    report = compose(small_doc(), small_table(rows), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["R-1.pdf", "R-2.pdf"]
    assert report.documents == 2
    reasons = {r.record: r.reason for r in report.rejected}
    assert set(reasons) == {1, 2, 3}
    assert "already record 0's" in reasons[1] and "path separator" in reasons[2] and "hidden" in reasons[3]
    statuses = [r["status"] for r in report.manifest.to_pylist()]
    assert statuses == ["rendered", "rejected", "rejected", "rejected", "rendered"]
    # a key the XML does not carry (so its rules do not see it) may hold a control character
    from ccmcore.einvoice.files import _file_names

    assert "control character" in _file_names(["R\x07"], [0])[1][0]


def test_a_rerun_replaces_the_folder_and_a_foreign_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    compose(example.document, german(4), out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    compose(example.document, german(4), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # the same job, the same bytes
    compose(example.document, german(2), out)
    assert len(first) == 4 and len(list(out.iterdir())) == 2  # the folder is the new job's alone
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds 'notes.txt'"):
        compose(example.document, german(2), out)
    assert (out / "notes.txt").exists()
    with pytest.raises(ValueError, match="written as PDF/A-3 files, not afp"):
        compose(example.document, german(2), tmp_path / "x", format="afp")


def test_workers_make_the_same_files(tmp_path):
    data = german(60, seed=5)
    compose(example.document, data, tmp_path / "one", part_size=16)
    compose(example.document, data, tmp_path / "two", part_size=16, workers=2)
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one == two and len(one) == 60


def test_the_file_template_writes_what_the_writer_writes():
    """An e-invoice's file, made from the job's template, is byte for byte the file a
    PdfWriter writes for that document from the same start, title and XML."""
    import io

    from ccmcore.parts import PartJob, compose_part
    from ccmcore.pdf.document_files import Attachment, DocumentFiles
    from ccmcore.pdf.writer import PackedFile, PdfPages, PdfWriter, file_start

    data = german(12, seed=3)
    job = PartJob.compile(example.document, data.schema, "pdf")
    part = compose_part(job, 0, 0, data.to_batches(max_chunksize=5))
    pages = part.pages
    uses = np.asarray(pages.uses, dtype=np.int64).reshape(-1, 3)
    attachment = Attachment("factur-x.xml", description="the invoice", facturx_level="EN 16931")
    template = DocumentFiles(job.resources, pages.used, uses[:, 1:].tolist(), attachment)
    start = file_start(job.resources, pages.used, uses[:, 1:].tolist())
    packs = [PackedFile(*row.values()) for row in part.einvoice.to_pylist()]
    titles = [f"Rechnung ({d}) \u00e4 <&>" for d in range(len(packs))]
    made = list(template.files(pages, [(d, titles[d], packs[d]) for d in range(len(packs))]))
    sizes = np.asarray(pages.sizes, dtype=np.int64).reshape(-1, 3)
    starts = np.concatenate([[0], np.cumsum(sizes[:, 2])])
    page0 = np.concatenate([[0], np.cumsum(pages.doc_pages)])
    assert len(made) == 12 and max(pages.doc_pages) > 1  # a document of more than one page among them
    for d, file in enumerate(made):
        p0, p1 = page0[d], page0[d + 1]
        mine = uses[uses[:, 0] == d].copy()
        mine[:, 0] = 0
        doc = PdfPages(
            np.asarray(pages.records[d : d + 1]),
            np.asarray([p1 - p0]),
            sizes[p0:p1],
            memoryview(pages.content)[starts[p0] : starts[p1]],
            mine,
            pages.used,
        )
        sink = io.BytesIO()
        w = PdfWriter(sink, title=titles[d], resources=job.resources, standard="pdfa-3b", start=start)
        extent = w.add(doc)[0]
        w.attach("factur-x.xml", packs[d], description="the invoice", facturx_level="EN 16931")
        w.close()
        assert b"".join(file.chunks) == sink.getvalue(), d
        assert file.extent == extent and file.checksum == w.checksums[0]
    with pytest.raises(ValueError, match="control character"):
        next(template.files(pages, [(0, "a\x01b", packs[0])]))


def test_a_thousand_german_einvoices_pass_the_en16931_rules(tmp_path):
    """The issue's bar: 1,000 German e-invoices, every XML passes the EN 16931 Schematron
    and the Factur-X rules, every PDF has the PDF/A-3 and Factur-X structure."""
    report = compose(example.document, german(1000, seed=42), tmp_path / "rechnungen")
    assert report.documents == 1000 and not report.rejected
    failures = []
    for path in sorted((tmp_path / "rechnungen").iterdir()):
        pdf, xml = embedded(path)
        errors, warnings = validate(xml, "en16931")
        if errors or warnings:
            failures.append((path.name, errors, warnings))
        spec = pdf.Root.AF[0]
        assert spec.AFRelationship == "/Alternative" and str(spec.EF.F.Subtype) == "/text/xml"
        with pdf.open_metadata() as meta:
            assert meta["pdfaid:part"] == "3" and meta[f"{FX}ConformanceLevel"] == "EN 16931"
    assert failures == []
    assert np.asarray(report.manifest.column("pages")).sum() == report.pages


def test_what_an_einvoice_job_cannot_be_is_said(tmp_path):
    from ccmcore.partitions import compose_partition
    from ccmcore.parts import PartJob
    from ccmcore.post import MailPlan

    data = german(3)
    job = PartJob.compile(example.document, data.schema, "pdf")
    with pytest.raises(ValueError, match="written as one PDF/A-3 file per invoice by compose"):
        compose_partition(job, data, tmp_path / "parts", record0=0)
    with pytest.raises(ValueError, match="cannot be a mail production"):
        compose(example.document, data, tmp_path / "out", mail=MailPlan())
    with pytest.raises(ValueError, match=r"the title 'Rechnung\\x01' holds a control character"):
        compose(example.document, data, tmp_path / "out", title="Rechnung\x01")
    assert not (tmp_path / "out").exists()


def test_the_cli_writes_a_folder_for_an_einvoice_template(tmp_path):
    import pyarrow.parquet as pq

    from ccmcore.cli import main

    pq.write_table(german(5), tmp_path / "de.parquet")
    template = ROOT / "examples" / "invoice" / "einvoice.py"
    assert main(["compose", str(template), str(tmp_path / "de.parquet"), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert len(list((tmp_path / "out").glob("INV-*.pdf"))) == 5
    assert (tmp_path / "out.manifest.parquet").exists()
    assert (
        main(
            ["compose", str(template), str(tmp_path / "de.parquet"), "-o", str(tmp_path / "x"), "--format", "afp", "-q"]
        )
        == 2
    )


_DIES_WRITING_FILES = """
import os, signal, sys
import ccmcore.einvoice.files as files
real = files.write_part_files
job_process = os.getpid()

def dies(job, part, task):
    if os.getpid() != job_process and task.part == 1:  # the worker writing part 1's files
        os.kill(os.getpid(), signal.SIGKILL)
    return real(job, part, task)

files.write_part_files = dies
from ccmcore.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_workers_write_the_files_and_one_that_dies_fails_the_job_in_one_line(tmp_path):
    """The workers that composed the parts write their files; a worker killed while it
    writes them fails the job in one line, leaves no folder, and a resumed run reuses
    every part and writes the same files."""
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from ccmcore.cli import EXIT_WORKER

    pq.write_table(german(40, seed=9), tmp_path / "de.parquet")
    template = ROOT / "examples" / "invoice" / "einvoice.py"
    args = ["compose", str(template), str(tmp_path / "de.parquet"), "--part-size", "10", "-j", "2", "-q"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    ref = subprocess.run([sys.executable, "-m", "ccmcore.cli", *args, "-o", str(tmp_path / "ref")], env=env)
    assert ref.returncode == 0
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", _DIES_WRITING_FILES, *args, "-o", str(out)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == EXIT_WORKER
    (line,) = proc.stderr.strip().splitlines()
    assert re.search(r"worker process was killed by signal 9 .*while composing the files of part 1;", line), line
    assert "4 finished parts kept" in line and "--resume" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.parts", "de.parquet", "ref", "ref.manifest.parquet"]
    done = subprocess.run(
        [sys.executable, "-m", "ccmcore.cli", *args, "-o", str(out), "--resume", "--report", str(tmp_path / "r.json")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["parts_reused"] == 4
    ref_files = {p.name: p.read_bytes() for p in (tmp_path / "ref").iterdir()}
    assert {p.name: p.read_bytes() for p in out.iterdir()} == ref_files and len(ref_files) == 40


def test_a_full_disk_while_writing_the_files_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import errno

    import pyarrow.parquet as pq

    import ccmcore.einvoice.files as files

    real = files._write
    written = []

    def fills_up(folder, name, chunks):
        if len(written) == 7:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(name)
        real(folder, name, chunks)

    monkeypatch.setattr(files, "_write", fills_up)
    out = tmp_path / "rechnungen"
    message = r"^cannot write .*rechnungen: the disk is full \(no space left on device\); 1 finished part kept"
    data = tmp_path / "de.parquet"
    pq.write_table(german(12), data)  # a file: a resumed run recognises its parts
    with pytest.raises(OutputError, match=message):
        compose(example.document, data, out)
    # no folder, no half of one: the composed part stays for a resumed run
    assert len(written) == 7 and sorted(p.name for p in tmp_path.iterdir()) == [".rechnungen.parts", "de.parquet"]
    monkeypatch.undo()
    report = compose(example.document, data, out, resume=True)
    assert report.parts_reused == 1 and len(list(out.iterdir())) == 12


def test_reconcile_checks_every_file_of_the_folder(tmp_path):
    from ccmcore.reconciliation import reconcile

    out = tmp_path / "out"
    report = compose(example.document, german(6), out)
    manifest = tmp_path / "out.manifest.parquet"
    result = reconcile(out, manifest)
    assert result.ok and result.matched == 6 and result.found == 6, result.problems
    names = sorted(p.name for p in out.iterdir())
    victim = out / names[2]
    raw = bytearray(victim.read_bytes())
    at = raw.index(b"%ccmcore-document") + 100
    raw[at] ^= 1  # one bit of a page changed
    victim.write_bytes(bytes(raw))
    (out / names[4]).unlink()
    (out / "stray.pdf").write_bytes((out / names[0]).read_bytes())
    problems = reconcile(out, report.manifest).problems
    assert any(p.startswith(f"{names[2]}: record") and "changed" in p for p in problems), problems
    assert any("missing" in p and names[4] in p for p in problems), problems
    assert "stray.pdf: in the folder but not in the manifest" in problems
