"""Mail production read back from the real output: pieces, marks per sheet of the piece
(decoded from the rendered PDF and from the AFP), presort and split, inserter files,
archive index, reprint, and plan mistakes named before anything is composed."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ccmcore import Column, Document, Frame, PageTemplate, Paragraph, Table, col, compose, mm, reconcile
from ccmcore.barcodes import OmrSpec, omr_bits
from ccmcore.post import (
    Address,
    Envelope,
    Insert,
    MailPlan,
    MailPlanError,
    OmrMarks,
    PieceCode,
    PostageClass,
    reprint,
)
from ccmcore.units import A4, to_mpt

ROOT = Path(__file__).resolve().parent.parent

page = PageTemplate("p", body=Frame(mm(20), mm(30), mm(170), mm(230)))

#: a duplex letter (about 35 lines a page) whose tags give the plan its values
letter = Document(
    first=page,
    duplex=True,
    tags={"Customer": "{cid}", "Street": "{street}", "Postcode": "{postcode}", "City": "{city}", "Segment": "{seg}"},
    flow=[Paragraph("Customer {cid}"), Table("lines", [Column("Line", "text", mm(100))])],
)

SPEC = OmrSpec(marks=("start", "eoc", "seq1", "seq2", "seq4", "feed1", "parity", "stop"), length="8mm")
OMR_X, OMR_Y = mm(6), mm(60)
CODE_X, CODE_Y = mm(6), mm(250)


def plan(**kw) -> MailPlan:
    base = dict(
        household=Address("Street", "Postcode", "City"),
        envelope=Envelope("C5", capacity=3, weight=4.5),
        inserts=[Insert("leaflet", 3.0, feeder=1, when=col("Segment") == "premium")],
        sort_by=["Postcode"],
        split_by="class",
        marks=[OmrMarks(OMR_X, OMR_Y, SPEC), PieceCode(CODE_X, CODE_Y, module=mm(0.7))],
    )
    base.update(kw)
    return MailPlan(**base)


def letters() -> pa.Table:
    """Twelve letters: a household of three (one address written three ways), one of two,
    singles, and one letter too thick for the envelope."""
    rows = [
        # cid, street, postcode, city, segment, lines
        ("C01", "Hauptstraße 5", "20457", "Hamburg", "retail", 10),
        ("C02", "Lindenallee 2", "10115", "Berlin", "premium", 60),
        ("C03", "hauptstr. 5", "20457", "HAMBURG", "retail", 10),
        ("C04", "Am Markt 1", "80331", "München", "retail", 100),
        ("C05", "Lindenallee 2", "10115", "Berlin", "retail", 10),
        ("C06", "Hauptstrasse  5", "20457", "Hamburg", "premium", 10),
        ("C07", "Ringweg 9", "01067", "Dresden", "retail", 320),
        ("C08", "Seeweg 3", "50667", "Köln", "retail", 10),
        ("C09", "Bergstraße 4", "70173", "Stuttgart", "premium", 150),
        ("C10", "Talweg 8", "04109", "Leipzig", "retail", 10),
        ("C11", "Feldweg 1", "60311", "Frankfurt", "retail", 10),
        ("C12", "Bachweg 7", "90402", "Nürnberg", "retail", 10),
    ]
    return pa.table(
        {
            "cid": [r[0] for r in rows],
            "street": [r[1] for r in rows],
            "postcode": [r[2] for r in rows],
            "city": [r[3] for r in rows],
            "seg": [r[4] for r in rows],
            "lines": [[{"text": f"line {i}"} for i in range(r[5])] for r in rows],
        }
    )


@pytest.fixture(scope="module")
def pdf_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("mail-pdf")
    report = compose(letter, letters(), d / "letters.pdf", mail=plan(), key="cid")
    return d, report


@pytest.fixture(scope="module")
def afp_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("mail-afp")
    report = compose(letter, letters(), d / "letters.afp", mail=plan(), key="cid")
    return d, report


def _by_record(report) -> dict:
    return {r["record"]: r for r in report.manifest.to_pylist()}


def expected_marks(pieces: list[dict], duplex: bool = True) -> list:
    """Per page of an output: (OMR bits, code text) on a sheet's front, None on a back."""
    spec = SPEC if not duplex else OmrSpec(**{**SPEC.__dict__, "duplex": True})
    out: list = []
    job_sheet = 0
    for p in pieces:
        for number in range(1, p["pages"] + 1):
            if duplex and number % 2 == 0:
                out.append(None)
                continue
            job_sheet += 1
            sheet = (number + 1) // 2 if duplex else number
            bits = omr_bits(number, p["pages"], job_sheet, spec=spec, feeds=p["feeders"])
            out.append((bits, f"{p['piece']:08d}{sheet:02d}{p['sheets']:02d}"))
    return out


def omr_read(img: np.ndarray, px_per_pt: float) -> tuple:
    """The OMR bits on a rendered page: is each mark's middle dark?"""
    pitch, thick, length = SPEC.pitch, SPEC.thickness, SPEC.length
    x = int((OMR_X + length / 2) * px_per_pt)
    bits = []
    for k in range(len(SPEC.marks)):
        y = int((OMR_Y + k * pitch + thick / 2) * px_per_pt)
        bits.append(int(img[y - 1 : y + 2, x].min() < 128))
    return tuple(bits)


def code_read(img: np.ndarray, px_per_pt: float) -> str | None:
    zxingcpp = pytest.importorskip("zxingcpp")
    y0, x0 = int((CODE_Y - mm(5)) * px_per_pt), int((CODE_X - mm(4)) * px_per_pt)
    crop = np.ascontiguousarray(img[y0 : y0 + int(mm(30) * px_per_pt), x0 : x0 + int(mm(30) * px_per_pt)])
    found = zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.DataMatrix)
    return found[0].text if found else None


def test_households_share_a_piece_with_their_sheets(pdf_run):
    d, report = pdf_run
    pieces = report.mail.pieces.to_pylist()
    docs = _by_record(report)
    by_records = {tuple(p["records"]): p for p in pieces}
    # one address written three ways is one household: C01, C03, C06 (records 0, 2, 5)
    assert (0, 2, 5) in by_records
    assert (1, 4) in by_records  # Lindenallee 2, Berlin
    for p in pieces:
        if p["split"] is None:
            assert p["sheets"] == sum(docs[r]["sheets"] for r in p["records"])
            assert p["sheets"] <= 3
        assert p["documents"] == len(p["records"])
    household = by_records[(0, 2, 5)]
    assert household["inserts"] == ["leaflet"] and household["feeders"] == 1  # C06 is premium
    assert by_records[(7,)]["inserts"] == []
    assert report.mail.production["households"] == 2


def test_a_document_too_thick_for_the_envelope_is_split(pdf_run):
    d, report = pdf_run
    docs = _by_record(report)
    assert docs[6]["sheets"] > 3  # C07: 320 lines
    split = [p for p in report.mail.pieces.to_pylist() if p["records"] == [6]]
    assert [p["split"] for p in split] == [f"{k}/{len(split)}" for k in range(1, len(split) + 1)]
    assert all(p["sheets"] <= 3 for p in split)
    assert sum(p["sheets"] for p in split) == docs[6]["sheets"]
    assert len({p["output"] for p in split}) == 1 and len({p["class"] for p in split}) == 1
    ids = [p["piece"] for p in split]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_a_larger_envelope_takes_a_thick_document(tmp_path):
    big = Envelope("C4", capacity=20, weight=14.0, min_class="Großbrief")
    report = compose(letter, letters(), tmp_path / "l.pdf", mail=plan(oversize=big), key="cid")
    (p,) = [p for p in report.mail.pieces.to_pylist() if 6 in p["records"]]
    assert p["envelope"] == "C4" and p["split"] is None and p["class"] == "Großbrief"


def test_outputs_are_split_by_class_and_presorted(pdf_run):
    d, report = pdf_run
    pieces = report.mail.pieces.to_pylist()
    files = [o["file"] for o in report.mail.outputs]
    assert files == sorted(
        files, key=lambda f: ["Standardbrief", "Kompaktbrief", "Großbrief", "Maxibrief"].index(f.split(".")[1])
    )
    for o in report.mail.outputs:
        mine = [p for p in pieces if p["output"] == o["file"]]
        assert {p["class"] for p in mine} == {o["file"].split(".")[1]}
        postcodes = [letters().column("postcode")[p["records"][0]].as_py() for p in mine]
        assert postcodes == sorted(postcodes)
        assert [p["sequence"] for p in mine] == list(range(1, len(mine) + 1))
        # weight: envelope + sheets + inserts, and the class is the lightest that takes it
        for p in mine:
            assert p["weight_g"] == pytest.approx(
                4.5 + p["sheets"] * 80 * 0.210 * 0.297 + 3.0 * len(p["inserts"]), abs=0.01
            )
    postage = sum(p["postage_cents"] for p in pieces)
    assert report.mail.production["postage_cents"] == postage
    assert sum(c["pieces"] for c in report.mail.production["classes"]) == len(pieces)


def test_each_output_reconciles_and_the_job_manifest_has_every_record(pdf_run):
    d, report = pdf_run
    for o in report.mail.outputs:
        path = d / o["file"]
        result = reconcile(path, path.with_name(path.name + ".manifest.parquet"))
        assert result.ok, result.problems[:3]
    m = pq.read_table(d / "letters.pdf.manifest.parquet")
    assert m.column("record").to_pylist() == list(range(12))
    assert set(m.column("output").to_pylist()) == {o["file"] for o in report.mail.outputs}


def test_marks_follow_the_piece_in_the_rendered_pdf(pdf_run):
    pdfium = pytest.importorskip("pypdfium2")
    d, report = pdf_run
    pieces = report.mail.pieces.to_pylist()
    scale = 3.0
    checked = 0
    for o in report.mail.outputs:
        want = expected_marks([p for p in pieces if p["output"] == o["file"]])
        pdf = pdfium.PdfDocument(str(d / o["file"]))
        assert len(pdf) == len(want)
        for k, w in enumerate(want):
            img = np.asarray(pdf[k].render(scale=scale, grayscale=True).to_pil())
            if w is None:
                assert omr_read(img, scale) == (0,) * len(SPEC.marks)  # the back of a sheet: no marks
                continue
            bits, text = w
            assert omr_read(img, scale) == bits, (o["file"], k)
            assert code_read(img, scale) == text, (o["file"], k)
            checked += 1
    assert checked == sum(p["sheets"] for p in pieces)
    # end of collation on the last sheet of a piece only, not of a document: the household
    # of three puts it on its third document's last sheet
    assert any(p["documents"] == 3 for p in pieces)


def test_marks_follow_the_piece_in_the_afp(afp_run):
    from afp_read import rasterize_rules, read_groups

    from ccmcore.afp.validate import validate

    d, report = afp_run
    pieces = report.mail.pieces.to_pylist()
    for o in report.mail.outputs:
        path = d / o["file"]
        assert validate(path) == []
        want = expected_marks([p for p in pieces if p["output"] == o["file"]])
        pages = [pg for g in read_groups(path) for pg in g.pages]
        assert len(pages) == len(want)
        w_l, h_l = to_mpt(A4[0]) // 50, to_mpt(A4[1]) // 50
        px_per_pt = 1000 / 50 / 2  # L-units of 1/1440 in, two per pixel
        for k, w in enumerate(want):
            img = rasterize_rules(pages[k], w_l, h_l, scale=2)
            if w is None:
                assert omr_read(img, px_per_pt) == (0,) * len(SPEC.marks)
                continue
            assert omr_read(img, px_per_pt) == w[0], (o["file"], k)
            assert code_read(img, px_per_pt) == w[1], (o["file"], k)
        result = reconcile(path, path.with_name(path.name + ".manifest.parquet"))
        assert result.ok, result.problems[:3]


def test_inserter_files_list_every_piece_in_both_forms(pdf_run):
    d, report = pdf_run
    for o in report.mail.outputs:
        mine = [p for p in report.mail.pieces.to_pylist() if p["output"] == o["file"]]
        with open(d / (o["file"] + ".mailrun.csv"), encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [int(r["piece"]) for r in rows] == [p["piece"] for p in mine]
        assert [int(r["sheets"]) for r in rows] == [p["sheets"] for p in mine]
        assert [r["feeders"] for r in rows] == ["1" if p["feeders"] else "" for p in mine]
        lines = (d / (o["file"] + ".mailrun.txt")).read_text(encoding="ascii").splitlines()
        assert len(lines) == len(mine) and {len(line) for line in lines} == {80}
        for line, p in zip(lines, mine):
            assert int(line[0:8]) == p["piece"] and int(line[8:16]) == p["sequence"]
            assert int(line[16:19]) == p["sheets"]
            assert line[19:35] == ("1" if p["feeders"] else "0") + "0" * 15
            assert line[35] == ("D" if p["divert"] else "0")
            assert line[36:56].strip() == p["class"].replace("ß", "ss")
            assert int(line[56:62]) == round(p["weight_g"] * 10)


def test_archive_index_cuts_each_output_at_its_documents(pdf_run):
    d, report = pdf_run
    for o in report.mail.outputs:
        data = (d / o["file"]).read_bytes()
        text = (d / (o["file"] + ".ind")).read_text(encoding="utf-8").splitlines()
        assert text[0] == "CODEPAGE:1208"
        offsets = [int(t.split(":", 1)[1]) for t in text if t.startswith("GROUP_OFFSET:")]
        lengths = [int(t.split(":", 1)[1]) for t in text if t.startswith("GROUP_LENGTH:")]
        names = [t.split(":", 1)[1] for t in text if t.startswith("GROUP_FILENAME:")]
        assert set(names) == {o["file"]}
        assert len(offsets) == o["documents"]
        for a, n in zip(offsets, lengths):
            assert data[a : a + n].startswith(b"%ccmcore-document ")
        # consecutive documents: each ends where the next begins
        assert all(a + n == b for a, n, b in zip(offsets, lengths, offsets[1:]))


def test_pdf_outputs_have_an_outline_entry_and_page_labels_per_document(pdf_run):
    pikepdf = pytest.importorskip("pikepdf")
    d, report = pdf_run
    o = report.mail.outputs[0]
    with pikepdf.open(d / o["file"]) as pdf:
        titles = []
        item = pdf.Root.Outlines.First
        while True:
            titles.append(str(item.Title))
            if "/Next" not in item:
                break
            item = item.Next
        m = pq.read_table(d / (o["file"] + ".manifest.parquet"))
        assert titles == m.column("key").to_pylist()
        assert "/PageLabels" in pdf.Root


def test_reprint_holds_exactly_the_pieces_that_did_not_go_out(pdf_run, tmp_path):
    d, report = pdf_run
    pieces = report.mail.pieces.to_pylist()
    whole = [p["piece"] for p in pieces if p["split"] is None]
    damaged, diverted, missing = whole[0], whole[2], whole[-1]
    results = tmp_path / "results.csv"
    lines = ["piece,status,time"]
    for p in pieces:
        if p["piece"] == missing:
            continue  # the inserter never reported it
        status = {damaged: "damaged", diverted: "diverted"}.get(p["piece"], "completed")
        lines.append(f"{p['piece']},{status},12:00")
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "reprint.pdf"
    r = reprint(d / "letters.pdf.mailrun.json", results, out)
    want = [p for p in pieces if p["piece"] in (damaged, diverted, missing)]
    assert r.pieces == [p["piece"] for p in want] and r.along == []
    records = [rec for p in want for rec in p["records"]]
    m = pq.read_table(out.with_name(out.name + ".manifest.parquet"))
    assert sorted(m.column("record").to_pylist()) == sorted(records)
    assert reconcile(out, out.with_name(out.name + ".manifest.parquet")).ok
    # the original ids, on the sheets of the reprint
    pdfium = pytest.importorskip("pypdfium2")
    pdf = pdfium.PdfDocument(str(out))
    reprinted = pq.read_table(out.with_name(out.name + ".pieces.parquet")).to_pylist()
    for k, w in enumerate(expected_marks(reprinted)):
        if w is not None:
            img = np.asarray(pdf[k].render(scale=3.0, grayscale=True).to_pil())
            assert code_read(img, 3.0) == w[1]
            assert int(w[1][:8]) in (damaged, diverted, missing)


def test_reprint_of_a_split_piece_brings_its_document(pdf_run, tmp_path):
    d, report = pdf_run
    pieces = report.mail.pieces.to_pylist()
    split = [p["piece"] for p in pieces if p["split"] is not None]
    results = tmp_path / "r.csv"
    results.write_text(
        "piece,status\n"
        + "".join(f"{p['piece']},{'damaged' if p['piece'] == split[1] else 'completed'}\n" for p in pieces),
        encoding="utf-8",
    )
    r = reprint(d / "letters.pdf.mailrun.json", results, tmp_path / "r.pdf")
    assert r.pieces == split and r.along == [s for s in split if s != split[1]]


def test_reprint_mistakes_are_one_line(pdf_run, tmp_path):
    d, report = pdf_run
    bad = tmp_path / "bad.csv"
    bad.write_text("piece,status\n99999,completed\n", encoding="utf-8")
    with pytest.raises(MailPlanError, match="piece 99999 is not a piece of the run"):
        reprint(d / "letters.pdf.mailrun.json", bad, tmp_path / "x.pdf")
    bad.write_text("id,state\n1,completed\n", encoding="utf-8")
    with pytest.raises(MailPlanError, match="need the columns piece and status"):
        reprint(d / "letters.pdf.mailrun.json", bad, tmp_path / "x.pdf")
    everything = "".join(f"{p},completed\n" for p in report.mail.pieces.column("piece").to_pylist())
    bad.write_text("piece,status\n" + everything, encoding="utf-8")
    with pytest.raises(MailPlanError, match="nothing to reprint"):
        reprint(d / "letters.pdf.mailrun.json", bad, tmp_path / "x.pdf")


def test_production_report_json_and_pdf(pdf_run):
    d, report = pdf_run
    prod = json.loads((d / "letters.pdf.production.json").read_text(encoding="utf-8"))
    assert prod["records"] == 12 and prod["documents"] == 12 and prod["pieces"] == report.mail.pieces.num_rows
    assert sum(o["pieces"] for o in prod["outputs"]) == prod["pieces"]
    assert sum(b["pieces"] for b in prod["by_sheets"]) == prod["pieces"]
    assert prod["sheets"] == sum(p["sheets"] for p in report.mail.pieces.to_pylist())
    pdfium = pytest.importorskip("pypdfium2")
    pdf = pdfium.PdfDocument(str(d / "letters.pdf.production.pdf"))
    assert len(pdf) == 1
    text = pdf[0].get_textpage().get_text_range()
    for o in prod["outputs"]:
        assert o["file"] in text
    assert "Pieces by sheet count" in text and "Pieces by postage class" in text
    assert f"{prod['pieces']:,}" in text


def test_report_bars_are_proportional_and_long_lists_are_cut(tmp_path):
    pikepdf = pytest.importorskip("pikepdf")
    from ccmcore.post.report_pdf import write_report_pdf

    report = {
        "title": "t", "records": 30, "documents": 10, "rejected_records": 20, "pieces": 10, "households": 0,
        "sheets": 12, "pages": 24, "postage_cents": 950, "currency": "EUR", "outputs": [],
        "classes": [{"class": "A", "pieces": 8}, {"class": "B", "pieces": 2}, {"class": "C", "pieces": 0}],
        "by_sheets": [{"sheets": 1, "pieces": 4}, {"sheets": 2, "pieces": 6}],
        "rejected": [{"record": k, "key": None, "field": "name", "reason": f"reason {k}"} for k in range(20)],
        "messages": {}, "timing": {},
    }  # fmt: skip
    write_report_pdf(report, tmp_path / "r.pdf")
    with pikepdf.open(tmp_path / "r.pdf") as pdf:
        assert len(pdf.pages) == 1
        widths = [
            float(op.operands[2]) for op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op.operator) == "re"
        ]
    top = max(widths)
    # each chart scaled to its longest bar; a class without pieces draws none
    assert sorted(w / top for w in widths) == pytest.approx(sorted([4 / 6, 1.0, 8 / 8, 2 / 8]), rel=1e-4)
    import pypdfium2 as pdfium

    text = pdfium.PdfDocument(str(tmp_path / "r.pdf"))[0].get_textpage().get_text_range()
    assert "reason 7" in text and "reason 8" not in text and "and 12 more" in text


def test_a_plan_reading_a_value_the_documents_lack_stops_before_composing(tmp_path):
    with pytest.raises(MailPlanError, match="'Country'.*add it to the Document's tags"):
        compose(letter, letters(), tmp_path / "x.pdf", mail=plan(split_by="Country"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(envelope=Envelope("C5", capacity=3), oversize=Envelope("C6", capacity=2)), "holds 2 sheets, no more"),
        (dict(postage=[PostageClass("B", 50, 100), PostageClass("A", 20, 90)]), "lightest first"),
        (dict(inserts=[Insert("a", 1, 1), Insert("b", 1, 1)]), "same feeder"),
        (dict(household=42), "household must be"),
    ],
)
def test_plan_mistakes_are_named(kw, message):
    with pytest.raises(MailPlanError, match=message):
        plan(**kw)


def test_piece_code_data_is_checked():
    with pytest.raises(MailPlanError, match="names customer"):
        PieceCode(0, 0, data="{customer}")


def test_plan_file_form_and_its_mistakes(tmp_path):
    p = MailPlan.load(ROOT / "examples" / "statement" / "mail.json")
    assert p.split_by == "class" and len(p.inserts) == 2 and len(p.marks) == 2
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps({"envelop": {"name": "C5", "capacity": 4}}), encoding="utf-8")
    with pytest.raises(MailPlanError, match="unknown field 'envelop'"):
        MailPlan.load(bad)
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(MailPlanError, match="is not JSON"):
        MailPlan.load(bad)


def test_ccm_compose_mail_and_its_one_line_error(tmp_path):
    data = tmp_path / "letters.parquet"
    pq.write_table(letters(), data)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        json.dumps(
            {
                "household": {"address": ["Street", "Postcode", "City"]},
                "envelope": {"name": "C5", "capacity": 3},
                "sort_by": ["Postcode"],
                "split_by": "class",
            }
        ),
        encoding="utf-8",
    )
    template = Path(__file__).resolve()
    run = [
        sys.executable,
        "-m",
        "ccmcore.cli",
        "compose",
        f"{template}:letter",
        str(data),
        "-o",
        str(tmp_path / "out" / "l.pdf"),
        "--mail",
        str(plan_file),
        "-q",
    ]
    (tmp_path / "out").mkdir()
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pieces in" in done.stdout and "Standardbrief" in done.stdout
    plan_file.write_text(json.dumps({"split_by": "Country"}), encoding="utf-8")
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Country" in done.stderr and "Traceback" not in done.stderr


def test_a_distributed_run_merged_as_a_mail_production_gives_the_local_files(pdf_run, tmp_path):
    from ccmcore import compose_partition, merge_parts
    from ccmcore.parts import PartJob

    d, local = pdf_run
    data = letters()
    job = PartJob.compile(letter, data.schema, "pdf", key="cid")
    rows = [
        compose_partition(job, data.slice(a, b - a), tmp_path / "store", record0=a, part_size=4)
        for a, b in ((5, 12), (0, 5))
    ]
    report = merge_parts(rows, tmp_path / "letters.pdf", mail=plan(), records=12)
    assert [o["file"] for o in report.mail.outputs] == [o["file"] for o in local.mail.outputs]
    for o in report.mail.outputs:
        assert (tmp_path / o["file"]).read_bytes() == (d / o["file"]).read_bytes()
    assert report.mail.pieces.equals(local.mail.pieces)


def test_the_statement_example_runs_as_a_mail_production(tmp_path):
    out = tmp_path / "mail" / "statements.pdf"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "statement" / "mail.py"), "--docs", "40", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "householded" in done.stdout
    prod = json.loads(out.with_name("statements.pdf.production.json").read_text(encoding="utf-8"))
    assert prod["households"] >= 1 and prod["records"] == 40
    for o in prod["outputs"]:
        path = out.with_name(o["file"])
        assert reconcile(path, path.with_name(path.name + ".manifest.parquet")).ok
        for suffix in (".mailrun.csv", ".mailrun.txt", ".ind"):
            assert path.with_name(path.name + suffix).exists()
    assert out.with_name("statements.pdf.production.pdf").read_bytes().startswith(b"%PDF-")


#: the cover sheet of a household's envelope: the address, and what the envelope holds
cover = Document(
    first=page,
    duplex=True,
    flow=[
        Paragraph("{Street}, {Postcode} {City}"),
        Paragraph("This envelope holds {documents} letters"),
        Table("enclosed", [Column("Letter", "key", mm(60)), Column("Pages", "pages", mm(20))]),
    ],
)


def test_households_get_a_cover_sheet_counted_in_their_piece(tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    report = compose(letter, letters(), tmp_path / "l.pdf", mail=plan(cover=cover), key="cid")
    pieces = report.mail.pieces.to_pylist()
    docs = _by_record(report)
    covered = [p for p in pieces if p["cover"] is not None]
    assert covered and all(p["documents"] > 1 for p in covered)
    assert all(p["cover"] is None for p in pieces if p["documents"] == 1)
    for p in covered:
        assert p["sheets"] == 1 + sum(docs[r]["sheets"] for r in p["records"]) <= 3
    # the job's manifest holds the records only; each output's also its covers, and reconciles
    assert report.manifest.column("record").to_pylist() == list(range(12))
    for o in report.mail.outputs:
        path = tmp_path / o["file"]
        assert reconcile(path, path.with_name(path.name + ".manifest.parquet")).ok
        pdf = pdfium.PdfDocument(str(path))
        for p in covered:
            if p["output"] == o["file"]:
                text = pdf[p["first_page"]].get_textpage().get_text_range()
                assert f"This envelope holds {p['documents']} letters" in text
                for r in p["records"]:
                    assert docs[r]["key"] in text
                # the marks count the cover as the piece's first sheet
                img = np.asarray(pdf[p["first_page"]].render(scale=3.0, grayscale=True).to_pil())
                assert code_read(img, 3.0) == f"{p['piece']:08d}01{p['sheets']:02d}"
    assert report.mail.production["covers"] == len(covered)
    # a reprint of a covered piece prints its cover again
    results = tmp_path / "results.csv"
    damaged = covered[0]["piece"]
    results.write_text(
        "piece,status\n"
        + "".join(f"{p['piece']},{'damaged' if p['piece'] == damaged else 'completed'}\n" for p in pieces),
        encoding="utf-8",
    )
    r = reprint(tmp_path / "l.pdf.mailrun.json", results, tmp_path / "again.pdf")
    assert r.pieces == [damaged]
    m = pq.read_table(tmp_path / "again.pdf.manifest.parquet")
    assert sorted(m.column("record").to_pylist()) == sorted([*covered[0]["records"], covered[0]["cover"]])
    assert reconcile(tmp_path / "again.pdf", tmp_path / "again.pdf.manifest.parquet").ok


def test_a_cover_drawing_with_a_font_of_its_own_is_refused(tmp_path):
    from statement_example import tpl

    foreign = Document(first=page, flow=[Paragraph("{Street}")], family=tpl.FIRAGO)
    with pytest.raises(MailPlanError, match="draws with a font the document does not use"):
        compose(letter, letters(), tmp_path / "l.pdf", mail=plan(cover=foreign))
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".pdf"]
