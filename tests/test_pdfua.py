"""PDF/UA-1: tagged PDF read back with pikepdf (the structure tree) and PDFium (the marks
and text of every page object): every page object is tagged content or an artifact, the
tree holds headings, paragraphs, tables with scoped header cells and figures with their
alternative text, and the text read in the tree's order is the document's."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pyarrow as pa
import pytest
from ua_read import _is_element, page_objects, structure

from ccmcore import A4, Document, Frame, PageTemplate, Paragraph, Picture, Text, compose, mm
from ccmcore.errors import TemplateError
from ccmcore.pdf import PdfOptions

ROOT = Path(__file__).resolve().parent.parent
UA = PdfOptions("pdfa-2b+pdfua-1", lang="en-GB")

import generate  # noqa: E402  (examples/invoice, on sys.path by conftest)
import template as invoice  # noqa: E402


def _statement():
    from statement_example import gen, tpl  # the statement example, loaded under names of its own

    return gen, tpl


@pytest.fixture(scope="module")
def invoices(tmp_path_factory):
    """Invoices with a long one (a table over three pages, its header repeated)."""
    data = generate.generate(40, seed=11)
    long = max(range(data.num_rows), key=lambda r: len(data.column("items")[r].as_py()))
    path = tmp_path_factory.mktemp("ua") / "invoices.pdf"
    report = compose(invoice.document, data, path, pdf=UA)
    assert not report.rejected
    return path, data, long, report


def test_every_page_object_is_content_or_an_artifact(invoices):
    path, *_ = invoices
    objects = page_objects(path)
    assert sum(len(o) for o in objects) > 1000
    for p, objs in enumerate(objects):
        for o in objs:
            assert o["marks"], (p, o)  # inside a marked-content sequence
            assert o["marks"][0] == "Artifact" or o["mcid"] >= 0, (p, o)
    texts = [o["text"] for objs in objects for o in objs if o["marks"][0] == "Artifact" and o["text"]]
    assert any(re.fullmatch(r"Page \d+ of \d+", t) for t in texts)  # the running footer
    assert "NORTHWIND" in texts  # the logo's lettering, marked as an artifact


def test_the_file_says_it_is_tagged(invoices):
    path, *_ = invoices
    pdf = pikepdf.open(path)
    root = pdf.Root
    assert root.MarkInfo.Marked is True and "/Suspects" not in root.MarkInfo
    assert str(root.Lang) == "en-GB" and root.ViewerPreferences.DisplayDocTitle is True
    with pdf.open_metadata() as meta:
        assert meta["pdfuaid:part"] == "1" and meta["pdfaid:part"] == "2"
        assert meta["dc:title"] == str(pdf.docinfo.Title) == "invoice"
    packet = root.Metadata.read_bytes().decode()
    assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in packet  # declared, as PDF/A wants
    assert all("/StructParents" in page and page.Tabs == "/S" for page in pdf.pages)
    assert pdf.check_pdf_syntax() == []


def test_the_parent_tree_names_the_element_of_every_mcid(invoices):
    path, *_ = invoices
    pdf = pikepdf.open(path)
    nums = _number_tree(pdf.Root.StructTreeRoot.ParentTree)
    assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == len(pdf.pages)
    for i, page in enumerate(pdf.pages):
        assert int(page.StructParents) == i  # each page's key: its place in the file
        stream = b"".join(
            c.read_bytes() for c in (page.Contents if isinstance(page.Contents, pikepdf.Array) else [page.Contents])
        )
        used = [int(m) for m in re.findall(rb"/MCID (\d+)", stream)]
        parents = nums[int(page.StructParents)]
        assert used == list(range(len(parents)))  # numbered 0, 1, ... in the order drawn
        for mcid, elem in enumerate(parents):
            kids = elem.K if isinstance(elem.K, pikepdf.Array) else [elem.K]
            held = {
                (elem.Pg.objgen, int(k)) if isinstance(k, int) else (k.Pg.objgen, int(k.MCID))
                for k in kids
                if isinstance(k, int) or (isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/MCR")
            }
            assert (page.objgen, mcid) in held


def _number_tree(node) -> dict:
    out = {}
    if "/Nums" in node:
        nums = node.Nums
        out.update({int(nums[k]): nums[k + 1] for k in range(0, len(nums), 2)})
    for kid in node.get("/Kids", []):
        out.update(_number_tree(kid))
    return out


def test_the_tag_tree_of_an_invoice(invoices, golden):
    path, data, _, report = invoices
    lines, _ = structure(path)
    parts = [i for i, line in enumerate(lines) if line == "  Part"]
    assert len(parts) == report.documents
    first = lines[parts[0] : parts[1]]
    golden("ua_invoice_tree.txt", "\n".join(first) + "\n")


def test_reading_order_is_the_documents_order(invoices):
    """The text read in the tree's order: the letter's head, the heading, the text, then the
    table row by row with every line item of the data in its order, the total last."""
    path, data, long, _ = invoices
    _, leaves = structure(path)
    docs: list[list] = []
    for kind, text in leaves:
        if text == "Northwind Telecom" and kind == "P":
            docs.append([])
        docs[-1].append((kind, text))
    assert len(docs) == data.num_rows
    for r in (0, long):
        leaves = docs[r]
        row = data.slice(r, 1).to_pylist()[0]
        kinds = [k for k, _ in leaves]
        texts = [t for _, t in leaves]
        assert ("H1", f"Invoice {row['invoice_no']}") in leaves
        assert kinds.index("H1") > texts.index(
            row["name"] + " " + row["street"] + " " + f"{row['postcode']} {row['city']}" + " " + row["country"]
        )
        assert texts[kinds.index("TH") : kinds.index("TH") + 5] == [
            "Date",
            "Description",
            "Qty",
            "Unit price EUR",
            "Amount EUR",
        ]
        assert kinds.count("TH") == 5  # a header repeated on a later page is an artifact
        cells = [t for k, t in leaves if k == "TD"]
        assert cells[1::5][: len(row["items"])] == [i["description"] for i in row["items"]]
        assert cells[-2] == "Total EUR"  # the total row: its empty cells hold no text
        assert not any(re.fullmatch(r"Page \d+ of \d+", t) for t in texts)
    assert len([o for o in page_objects(path) if o]) > data.num_rows  # the long one took several pages


def test_the_statement_is_tagged_with_its_tables_and_heading(tmp_path):
    st_generate, st_template = _statement()
    data = st_generate.generate(12, seed=5)
    path = tmp_path / "statements.pdf"
    report = compose(st_template.document, data, path, pdf=UA)
    assert not report.rejected
    objects = page_objects(path)
    assert all(o["marks"] and (o["marks"][0] == "Artifact" or o["mcid"] >= 0) for objs in objects for o in objs)
    lines, leaves = structure(path, objects)
    kinds = [k for k, _ in leaves]
    assert kinds.count("H1") == report.documents
    assert sum(1 for line in lines if line.strip() == "Table") > report.documents  # accounts, transactions
    assert any(line.strip().startswith("TH Scope=Column") for line in lines)
    # rows carried to and brought from another page repeat a sum: artifacts, not rows
    texts = [t for _, t in leaves]
    assert not any(t.startswith(("Carried forward", "Brought forward", "Übertrag")) for t in texts)
    artifacts = [o["text"] for objs in objects for o in objs if o["marks"][0] == "Artifact"]
    assert any(t.startswith(("Carried forward", "Übertrag")) for t in artifacts)  # there were such rows


def test_a_picture_with_alt_text_is_a_figure_and_one_without_is_decoration(tmp_path):
    from PIL import Image as PILImage

    logo = tmp_path / "logo.png"
    PILImage.new("RGB", (40, 20), (20, 60, 140)).save(logo)
    page = PageTemplate(
        "page",
        body=Frame(mm(20), mm(40), mm(170), mm(200)),
        content=[Picture(str(logo), x=mm(20), y=mm(10), width=mm(20), alt="Northwind logo")],
    )
    doc = Document(
        first=page,
        page_size=A4,
        flow=[
            Paragraph("Title", role="H1"),
            Picture(str(logo), width=mm(10)),
            Paragraph("Body text {x}"),
        ],
    )
    path = tmp_path / "fig.pdf"
    compose(doc, pa.table({"x": ["one"]}), path, pdf=PdfOptions("pdfua-1"))
    lines, leaves = structure(path)
    assert lines == ["Document", "  Part", "    Figure Alt='Northwind logo'", "    H1: Title", "    P: Body text one"]
    pdf = pikepdf.open(path)
    with pdf.open_metadata() as meta:
        assert meta["pdfuaid:part"] == "1" and "pdfaid:part" not in meta  # PDF/UA alone
    assert "/OutputIntents" not in pdf.Root


def test_roles_are_checked_in_the_template():
    with pytest.raises(TemplateError, match="role 'H7' is not one of P, H1"):
        Paragraph("x", role="H7")
    with pytest.raises(TemplateError, match="role 'heading'"):
        Text("x", x=0, y=0, role="heading")
    with pytest.raises(TemplateError, match="alt must be a non-empty text"):
        Picture("logo.png", alt=" ")
    with pytest.raises(ValueError, match="BCP 47"):
        PdfOptions("pdfua-1", lang="english please")


def _all_tagged(path) -> int:
    objects = page_objects(path)
    for p, objs in enumerate(objects):
        for o in objs:
            assert o["marks"] and (o["marks"][0] == "Artifact" or o["mcid"] >= 0), (path, p, o)
    return len(objects)


def test_workers_partitions_and_mail_production_keep_the_tags(tmp_path):
    """Pages encoded in worker processes, merged from partitions, reordered into mail pieces:
    the structure travels with them."""
    from statement_example import gen, tpl

    from ccmcore.merge_distributed import merge_parts
    from ccmcore.partitions import compose_partition
    from ccmcore.parts import PartJob
    from ccmcore.post import MailPlan

    data = generate.generate(90, seed=4)
    one = compose(invoice.document, data, tmp_path / "one.pdf", pdf=UA, part_size=32)
    compose(invoice.document, data, tmp_path / "two.pdf", pdf=UA, part_size=32, workers=2)
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()
    job = PartJob.compile(invoice.document, data.schema, "pdf", pdf=UA)
    rows = [
        compose_partition(job, data.slice(a, b - a), tmp_path / "store", record0=a, part_size=32)
        for a, b in ((50, 90), (0, 50))
    ]
    merge_parts(rows, tmp_path / "merged.pdf", records=90)
    # the structure objects follow each part's pages: partitions cut elsewhere than the
    # local job's parts place them elsewhere, the tree is the same
    assert structure(tmp_path / "merged.pdf")[0] == structure(tmp_path / "one.pdf")[0]
    assert _all_tagged(tmp_path / "merged.pdf") == _all_tagged(tmp_path / "one.pdf") == one.pages
    plan = MailPlan.load(ROOT / "examples" / "statement" / "mail.json")
    (tmp_path / "mail").mkdir()
    report = compose(tpl.mail_document, gen.generate(60, seed=3), tmp_path / "mail" / "s.pdf", pdf=UA, mail=plan)
    for output in report.mail.outputs:
        path = tmp_path / "mail" / output["file"]
        assert _all_tagged(path) == output["pages"]
        lines, _ = structure(path)
        assert sum(1 for line in lines if line == "  Part") == output["documents"]


def test_each_document_states_its_own_language(tmp_path):
    from statement_example import gen, tpl

    data = gen.generate(16, seed=8)
    langs = data.column("language").to_pylist()
    assert set(langs) == {"en", "de"}
    bad = data.set_column(data.schema.get_field_index("language"), "language", pa.array(["de"] * 15 + ["not a tag"]))
    path = tmp_path / "statements.pdf"
    report = compose(tpl.document, bad, path, pdf=PdfOptions("pdfa-2b+pdfua-1", lang="en", lang_column="language"))
    assert {r.record for r in report.rejected} == {15}
    assert any("'not a tag' is not a language tag" in r.reason for r in report.rejected)
    report = compose(tpl.document, data, path, pdf=PdfOptions("pdfa-2b+pdfua-1", lang="en", lang_column="language"))
    pdf = pikepdf.open(path)
    parts = list(pdf.Root.StructTreeRoot.K.K)
    assert [str(p.Lang) for p in parts] == langs
    assert str(pdf.Root.Lang) == "en"
    with pytest.raises(Exception, match="lang_column 'lingua' is not a column"):
        compose(tpl.document, data, path, pdf=PdfOptions("pdfua-1", lang_column="lingua"))


def test_bulleted_paragraphs_are_lists(tmp_path):
    doc = Document(
        flow=[
            Paragraph("Your benefits", role="H1"),
            Paragraph("First {x}", bullet="•", indent=mm(5)),
            Paragraph("Second", bullet="•", indent=mm(5)),
            Paragraph("Between"),
            Paragraph("Third", bullet="–", indent=mm(5)),
        ]
    )
    path = tmp_path / "list.pdf"
    compose(doc, pa.table({"x": ["one"]}), path, pdf=PdfOptions("pdfua-1"))
    lines, _ = structure(path)
    assert lines == [
        "Document",
        "  Part",
        "    H1: Your benefits",
        "    L",
        "      LI",
        "        Lbl: •",
        "        LBody: First one",
        "      LI",
        "        Lbl: •",
        "        LBody: Second",
        "    P: Between",
        "    L",
        "      LI",
        "        Lbl: –",
        "        LBody: Third",
    ]
    assert _all_tagged(path) == 1


def _packed(pdf) -> tuple[int, int]:
    """(object streams, objects in them) of an open file."""
    streams = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Type") == "/ObjStm"]
    return len(streams), sum(int(s.N) for s in streams)


def _elements(node) -> int:
    kids = node.get("/K")
    kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return 1 + sum(_elements(k) for k in kids if _is_element(k))


def test_the_structure_lies_in_object_streams_readers_resolve(invoices, tmp_path):
    """A hundred structure elements a page go into compressed object streams, indexed by a
    cross-reference stream: qpdf finds every one of them, and nothing else, in the tree
    and the parent tree; PDFium reads the file's pages and marks (the tests above); the
    same file with uncompressed streams has the same tree."""
    from ccmcore.parts import PartJob, compose_part
    from ccmcore.pdf import PdfWriter
    from ccmcore.pdf.writer import PdfEncoder

    path, data, *_ = invoices
    raw = path.read_bytes()
    xref_at = int(raw.rstrip().split(b"\n")[-2])
    assert re.match(rb"\d+ 0 obj\n<</Type/XRef/Size \d+/W\[1 4 2\]/Root", raw[xref_at:])  # no xref table
    pdf = pikepdf.open(path)
    assert pdf.check_pdf_syntax() == []
    streams, packed = _packed(pdf)
    elements = _elements(pdf.Root.StructTreeRoot.K)
    # every element but /Document, and one parent array a page, are in the streams
    assert packed == elements - 1 + len(pdf.pages) and streams >= packed // 1000

    job = PartJob.compile(invoice.document, data.schema, "pdf", pdf=UA)
    job._encoder = PdfEncoder(job.resources, compress_level=None, structure=job.structure())
    part = compose_part(job, 0, 0, data.to_batches())
    plain = tmp_path / "uncompressed.pdf"
    kw = {"resources": job.resources, "standard": UA.standard, "structure": job.structure()}
    with PdfWriter(plain, compress_level=None, **kw) as w:
        w.add(part.pages)
    assert b"/Type/ObjStm" in plain.read_bytes() and b"<</S/TD/P " in plain.read_bytes()  # readable as it is
    assert pikepdf.open(plain).check_pdf_syntax() == []
    assert structure(plain)[0] == structure(path)[0]
