"""PDF outline and page labels per document (an archive copy's table of contents).

A small job is composed into parts and merged with an outline; the file is read back by
pikepdf (the objects themselves), pdfium (what a viewer shows) and ``qpdf --check``.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pikepdf
import pyarrow as pa
import pypdfium2 as pdfium
import pytest

from ccmcore import Document, Frame, PageTemplate, Paragraph, Style
from ccmcore.merge import Merger
from ccmcore.parts import PartJob, compose_part
from ccmcore.pdf import writer as pdf_writer
from ccmcore.pdf.writer import PdfWriter

#: a narrow, short frame: the longer a record's text, the more pages its document has
DOCUMENT = Document(
    flow=[Paragraph("{account} {name}: {body}", Style(size=10))],
    first=PageTemplate("p", Frame(40, 40, 200, 60)),
    tags={"Account": "{account}"},
)


def _entry(item) -> tuple[str, int]:
    """(title, page index) of an outline item, as pypdfium2 4 (a named tuple) or 5 gives it."""
    if hasattr(item, "get_title"):
        return item.get_title(), item.get_dest().get_index()
    return item.title, item.page_index


def _table(n: int = 5) -> pa.Table:
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit"
    return pa.table(
        {
            "account": [f"A{r:04d}" for r in range(n)],
            "name": ["Müller 42" if r == 1 else f"Name {r}" for r in range(n)],
            "body": [" ".join([words] * (1 + 4 * (r % 3))) for r in range(n)],
        }
    )


def _merge(table: pa.Table, fmt: str = "pdf", *, outline: bool = True, **kw) -> tuple[bytes, pa.Table, list]:
    """The print file, its manifest and the outline entries given (title: the name)."""
    job = PartJob.compile(DOCUMENT, table.schema, fmt, key="account")
    out = io.BytesIO()
    merger = Merger(job, out)
    entries: list[tuple[int, str]] = []
    for k, at in enumerate(range(0, table.num_rows, 2)):  # parts of two records
        part = compose_part(job, k, at, table.slice(at, 2).to_batches())
        first = merger.pages
        names = table.column("name").slice(at, 2).to_pylist()
        for pages, name in zip(part.pages.doc_pages.tolist(), names):
            entries.append((first, name))
            first += pages
        merger.add(part)
    if outline:
        merger.outline(entries, **kw)
    manifest = merger.close()
    return out.getvalue(), manifest, entries


@pytest.fixture(scope="module")
def merged():
    return _merge(_table())


def _labels(pdf: pikepdf.Pdf) -> dict[int, dict]:
    """First page -> its label range, read through the number tree however deep it is."""
    return {int(k): {str(n): v for n, v in d.items()} for k, d in pikepdf.NumberTree(pdf.Root.PageLabels).items()}


def _qpdf_check(data: bytes, tmp_path) -> None:
    if shutil.which("qpdf") is None:
        return  # the readers above still checked the file
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_job_has_documents_of_several_pages(merged):
    _, manifest, entries = merged
    pages = manifest.column("pages").to_pylist()
    assert len(entries) == 5 and max(pages) > 1 and min(pages) == 1


def test_outline_items_open_each_documents_first_page(merged, tmp_path):
    data, manifest, entries = merged
    firsts = manifest.column("first_page").to_pylist()
    assert [p for p, _ in entries] == firsts
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.Root.PageMode == "/UseOutlines"
        assert int(pdf.Root.Outlines.Count) == 5
        with pdf.open_outline() as outline:
            items = list(outline.root)
            assert [item.title for item in items] == [t for _, t in entries]
            for item, first in zip(items, firsts):
                assert not item.children
                dest = item.destination
                assert dest[0].objgen == pdf.pages[first].obj.objgen
                assert dest[1] == "/Fit"
    _qpdf_check(data, tmp_path)


def test_a_viewer_lists_the_documents_and_numbers_their_pages(merged):
    data, manifest, entries = merged
    doc = pdfium.PdfDocument(data)
    try:
        toc = [_entry(b) for b in doc.get_toc()]
        assert toc == [(t, p) for p, t in entries]
        labels = [doc.get_page_label(i) for i in range(len(doc))]
    finally:
        doc.close()
    expected = []
    for pages in manifest.column("pages").to_pylist():
        expected += [str(n) for n in range(1, pages + 1)]
    assert labels == expected


def test_page_label_ranges_start_at_each_document(merged):
    data, manifest, _ = merged
    with pikepdf.open(io.BytesIO(data)) as pdf:
        labels = _labels(pdf)
    assert sorted(labels) == manifest.column("first_page").to_pylist()
    assert all(d == {"/S": "/D", "/St": 1} for d in labels.values())


def test_a_title_outside_ascii_is_utf16_with_a_byte_order_mark(merged):
    data, _, entries = merged
    assert entries[1][1] == "Müller 42"
    assert b"/Title<FEFF" + "Müller 42".encode("utf-16-be").hex().upper().encode() + b">" in data
    assert b"/Title(Name 0)" in data
    with pikepdf.open(io.BytesIO(data)) as pdf, pdf.open_outline() as outline:
        assert outline.root[1].title == "Müller 42"


def test_a_label_prefix_goes_before_each_number(tmp_path):
    data, manifest, _ = _merge(_table(3), label_prefix="Doc-")
    doc = pdfium.PdfDocument(data)
    try:
        assert doc.get_page_label(0) == "Doc-1"
        second = manifest.column("first_page")[1].as_py()
        assert doc.get_page_label(second) == "Doc-1"
        assert doc.get_page_label(second - 1) == f"Doc-{second}"
    finally:
        doc.close()
    _qpdf_check(data, tmp_path)


def test_without_an_outline_the_file_is_as_before():
    table = _table(3)
    plain, _, _ = _merge(table, outline=False)
    job = PartJob.compile(DOCUMENT, table.schema, "pdf", key="account")
    out = io.BytesIO()
    merger = Merger(job, out)
    merger.add(compose_part(job, 0, 0, table.to_batches()))
    merger.outline([])  # an empty outline writes nothing
    merger.close()
    assert out.getvalue() == plain
    assert b"/Outlines" not in plain and b"/PageLabels" not in plain and b"/PageMode" not in plain


def test_afp_ignores_the_outline():
    table = _table(3)
    with_outline, _, _ = _merge(table, "afp")
    without, _, _ = _merge(table, "afp", outline=False)
    assert with_outline == without


def test_a_large_outline_splits_the_label_tree(monkeypatch, tmp_path):
    """Millions of documents need a number tree of several levels (each node's array small)."""
    monkeypatch.setattr(pdf_writer, "LABELS_FANOUT", 2)
    table = _table(9)
    data, manifest, entries = _merge(table)
    firsts = manifest.column("first_page").to_pylist()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root.PageLabels
        assert "/Kids" in root and "/Nums" not in root and "/Limits" not in root
        assert len(root.Kids) <= 2 and "/Kids" in root.Kids[0]
        assert sorted(_labels(pdf)) == firsts
    doc = pdfium.PdfDocument(data)
    try:
        assert [doc.get_page_label(p) for p in firsts] == ["1"] * len(firsts)
        assert [_entry(b)[0] for b in doc.get_toc()] == [t for _, t in entries]
    finally:
        doc.close()
    _qpdf_check(data, tmp_path)


def test_pages_before_the_first_document_are_numbered_too(tmp_path):
    table = _table(3)
    job = PartJob.compile(DOCUMENT, table.schema, "pdf")
    out = io.BytesIO()
    merger = Merger(job, out)
    merger.add(compose_part(job, 0, 0, table.to_batches()))
    second = merger.close()["first_page"][1].as_py()  # a first run only to learn the page numbers
    out = io.BytesIO()
    merger = Merger(job, out)
    merger.add(compose_part(job, 0, 0, table.to_batches()))
    merger.outline([(second, "the second")])
    merger.close()
    data = out.getvalue()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert sorted(_labels(pdf)) == [0, second]
    doc = pdfium.PdfDocument(data)
    try:
        assert doc.get_page_label(0) == "1" and doc.get_page_label(second) == "1"
    finally:
        doc.close()
    _qpdf_check(data, tmp_path)


# ---------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    "entries, message",
    [
        ([(0, "a"), (0, "b")], "first page 0 must be after page 0"),
        ([(2, "a"), (1, "b")], "first page 1 must be after page 2"),
        ([(-1, "a")], "first page -1 must be 0 or more"),
        ([(0, b"a")], r"expected \(int, str\)"),
        ([(True, "a")], r"expected \(int, str\)"),
        ([(0,)], r"expected \(first page, title\)"),
    ],
)
def test_entries_out_of_order_or_of_the_wrong_type_are_refused(entries, message):
    writer = PdfWriter(io.BytesIO())
    with pytest.raises(ValueError, match=message):
        writer.outline(entries)


def test_an_outline_past_the_last_page_is_refused_and_the_writer_stays_open(tmp_path):
    table = _table(2)
    job = PartJob.compile(DOCUMENT, table.schema, "pdf")
    out = io.BytesIO()
    merger = Merger(job, out)
    merger.add(compose_part(job, 0, 0, table.to_batches()))
    pages = merger.pages
    merger.outline([(0, "a"), (pages, "past the end")])
    size = len(out.getvalue())
    with pytest.raises(ValueError, match=f"starts at page index {pages}, but the file has {pages} pages"):
        merger.close()
    assert len(out.getvalue()) == size  # nothing was written
    merger.outline([(0, "a")])
    merger.close()
    _qpdf_check(out.getvalue(), tmp_path)
    with pytest.raises(ValueError, match="closed"):
        merger.outline([(0, "a")])
