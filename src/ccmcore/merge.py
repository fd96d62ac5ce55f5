"""Join the parts of a job into one print file, in record order, and finish its manifest.

The merge is the only place that knows where each document lands: it numbers the PDF
objects and the AFP pages, stores each image and overlay once (before the first document
that draws it; in AFP's resource group, which comes first), subsets each font once over
the whole job (glyph ids never change, so no page needs rewriting), and draws the stamps
parts left to it (barcodes showing the sheet's number in the job). Its output depends
only on the documents and their order, never on how many parts or processes made them.

Each document's checksum is the CRC-32 of its bytes, taken by the writer as they go to the
file (after the AFP font OIDs are filled in), so the manifest holds what the file holds.
(A CRC-32, the checksum of zip and PNG, catches every change of a few bytes
and all but one in four billion others; it costs a job next to nothing, where a
cryptographic hash of every byte would cost it several percent.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal.isal_zlib import crc32

from .arrow_values import from_numpy, scalar, to_numpy
from .barcode_layout import omr_spec_of, stamp_items
from .parts import MANIFEST_PART_SCHEMA, Part, PartJob

__all__ = ["Merger", "MANIFEST_SCHEMA", "checksum"]


def _manifest_schema() -> pa.Schema:
    """The part's columns with where each document landed: after ``part``, whether it
    was reused; after ``pages``/``sheets``, its first page, byte range and checksum."""
    fields = list(MANIFEST_PART_SCHEMA)
    names = [f.name for f in fields]
    fields.insert(names.index("part") + 1, pa.field("part_reused", pa.bool_()))
    fields.insert(names.index("pages") + 1, pa.field("first_page", pa.int64()))
    at = [f.name for f in fields].index("sheets") + 1
    fields[at:at] = [pa.field("offset", pa.int64()), pa.field("length", pa.int64()), pa.field("checksum", pa.uint32())]
    return pa.schema(fields)


#: the manifest of a job: one row per input record
MANIFEST_SCHEMA = _manifest_schema()


class PageMarks(NamedTuple):
    """RECT items a merge draws on pages of a part, besides the part's own stamps.

    Attributes:
        pages: int64 (n,): the page rows (in the part) that get marks, ascending.
        items: int32 (m, ITEM_FIELDS): their items, page after page.
        starts: int64 (n + 1,): where each page's items start in ``items``, and the end.
    """

    pages: np.ndarray
    items: np.ndarray
    starts: np.ndarray


class Merger:
    """Writes parts, in order, into one print file.

    Args:
        job: the job the parts belong to.
        fileobj: the binary file to write (the job's temporary output).
        title: the PDF's title.
    """

    def __init__(self, job: PartJob, fileobj, *, title: str | None = None):
        self.job = job
        self.writer: Any
        if job.format == "afp":
            from .afp.writer import AfpWriter

            self.writer = AfpWriter(fileobj, options=job.afp, resources=job.resources)
        else:
            from .pdf import PdfWriter

            standard = getattr(job.pdf, "standard", None)
            structure = job.structure()
            if structure is not None and title is None:  # a tagged PDF shows its title
                title = job.program.doc.name
            self.writer = PdfWriter(
                fileobj, title=title, resources=job.resources, standard=standard, structure=structure
            )
        self.job_sheets = 0
        self.pages = 0
        self._stamp_cache: dict = {}
        self._periods: dict[int, int] = {}
        self._rows: list[pa.Table] = []
        self._extents: list[np.ndarray] = []

    def add(self, part: Part, marks: PageMarks | None = None) -> None:
        """Write one part's documents after those before it.

        Args:
            part: the part.
            marks: RECT items drawn on some of its pages besides the part's own stamps (a
                mail piece's OMR marks and code, see :mod:`ccmcore.post`).
        """
        pages = part.pages
        facts = self._count_sheets(np.asarray(pages.doc_pages))
        stamps = self._stamps(part, facts, marks) if part.stamps or (marks is not None and len(marks.pages)) else None
        extents = self.writer.add(pages, stamps)
        ext = np.array([e[1:] for e in extents], dtype=np.int64).reshape(-1, 4)  # first page, pages, offset, length
        self._extents.append(ext)
        self.pages += int(ext[:, 1].sum()) if len(ext) else 0
        m = part.manifest
        m = m.append_column("part_reused", from_numpy(np.full(m.num_rows, part.reused)))
        self._rows.append(m)

    def _count_sheets(self, doc_pages: np.ndarray) -> np.ndarray:
        """The job sheet number of each page of the part's documents (and count them)."""
        total = int(doc_pages.sum())
        starts = np.repeat(np.cumsum(doc_pages) - doc_pages, doc_pages)
        number = np.arange(total) - starts + 1  # page number in its document
        front = np.ones(total, dtype=bool) if not self.job.program.duplex else (number % 2 == 1)
        sheet = self.job_sheets + np.cumsum(front)
        if total:
            self.job_sheets = int(sheet[-1])
        return np.stack([number, np.repeat(doc_pages, doc_pages), sheet], axis=1) if total else np.zeros((0, 3), int)

    def _stamps(self, part: Part, facts: np.ndarray, marks: PageMarks | None = None) -> dict:
        """page row -> the backend's bytes of the stamps on that page."""
        program = self.job.program
        cache = self._stamp_cache
        by_page: dict[int, list] = {}
        for page, barcode, text in part.stamps:
            number, count, sheet = facts[page].tolist()
            # OMR marks show the sheet number only modulo their sequence: a few patterns repeat
            key = (barcode, text, number, count, sheet if text is not None else sheet % self._omr_period(barcode))
            items = cache.get(key)
            if items is None:
                if len(cache) > 4096:
                    cache.clear()
                items = cache[key] = stamp_items(program, barcode, text, number, count, sheet)
            by_page.setdefault(page, []).append(items)
        if marks is not None and len(marks.pages):
            if by_page:
                for k, page in enumerate(marks.pages.tolist()):
                    by_page.setdefault(page, []).append(marks.items[marks.starts[k] : marks.starts[k + 1]])
            else:  # the marks alone: already one array, page by page
                return self._made(part, marks)
        pages = sorted(by_page)
        rows = [np.concatenate(by_page[p]) if len(by_page[p]) > 1 else by_page[p][0] for p in pages]
        lengths = np.array([len(r) for r in rows], np.int64)
        starts = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=starts[1:])
        items = np.concatenate(rows) if rows else np.zeros((0, 13), np.int32)
        batch = PageMarks(np.array(pages, np.int64), items, starts)
        return self._made(part, batch)

    def _made(self, part: Part, marks: PageMarks) -> dict:
        """page row -> the backend's bytes drawing the marks on it."""
        pages = marks.pages.tolist()
        if self.job.format == "pdf":
            heights = np.asarray(part.pages.sizes, dtype=np.int64).reshape(-1, 3)[:, 1]
            made = self.writer.stamps(marks.items, marks.starts, heights[marks.pages])
        else:
            made = self.writer.stamps(marks.items, marks.starts)
        return dict(zip(pages, made))

    def _omr_period(self, barcode: int) -> int:
        """After how many sheets an OMR barcode's marks repeat (its sequence bits' range)."""
        period = self._periods.get(barcode)
        if period is None:
            spec = omr_spec_of(self.job.program, barcode)
            seq = [int(m[3:]) for m in spec.marks if m.startswith("seq")]
            period = self._periods[barcode] = 2 * max(seq) if seq else 1
        return period

    def outline(self, entries, *, label_prefix: str | None = None) -> None:
        """Give a PDF an outline item and a page label range per document (written at
        close(), see :meth:`ccmcore.pdf.PdfWriter.outline`); AFP ignores it, since its page
        groups and their index attributes already mark each document.

        Args:
            entries: (first page, title) per document, in page order: the page's 0-based
                index in the file (``pages`` before the document's part was added, plus
                the pages of the part's documents before it) and a str.
            label_prefix: text shown before each page number, or None.

        Raises:
            ValueError: (PDF) as :meth:`ccmcore.pdf.PdfWriter.outline` says.
        """
        if self.job.format == "pdf":
            self.writer.outline(entries, label_prefix=label_prefix)

    def close(self) -> pa.Table:
        """Finish the file; the manifest with every rendered document's place and checksum."""
        self.writer.close()
        base = getattr(self.writer, "document_offset", 0)
        table = pa.concat_tables(self._rows) if self._rows else None
        ext = np.concatenate(self._extents) if self._extents else np.zeros((0, 4), np.int64)
        if table is None:
            return MANIFEST_SCHEMA.empty_table()
        rendered = to_numpy(pc.equal(table.column("status"), scalar("rendered")))
        if int(rendered.sum()) != len(ext):
            raise AssertionError("the merge wrote another number of documents than the parts rendered")
        n = table.num_rows

        nulls = pa.py_buffer(np.packbits(rendered, bitorder="little"))

        def col(values, fill, dtype):
            out = np.full(n, fill, dtype=dtype)
            out[rendered] = values
            return pa.Array.from_buffers(pa.int64(), n, [nulls, pa.py_buffer(out)], null_count=int((~rendered).sum()))

        sums = np.frombuffer(self.writer.checksums, dtype=np.uint32) if len(self.writer.checksums) else None
        if (0 if sums is None else len(sums)) != len(ext):
            raise AssertionError("the writer took another number of checksums than it wrote documents")
        checksums = np.zeros(n, dtype=np.uint32)
        if sums is not None:
            checksums[rendered] = sums
        first_page = col(ext[:, 0], 0, np.int64)
        offset = col(ext[:, 2] + base, 0, np.int64)
        length = col(ext[:, 3], 0, np.int64)
        columns = {
            "first_page": first_page,
            "offset": offset,
            "length": length,
            "checksum": pa.Array.from_buffers(
                pa.uint32(), n, [nulls, pa.py_buffer(checksums)], null_count=int((~rendered).sum())
            ),
        }
        arrays = [columns[f.name] if f.name in columns else table.column(f.name) for f in MANIFEST_SCHEMA]
        return pa.Table.from_arrays(arrays, schema=MANIFEST_SCHEMA)

    def abort(self) -> None:
        self.writer.abort()


def checksum(data) -> int:
    """A document's checksum as the manifest has it: the CRC-32 of its bytes, as
    ``zlib.crc32`` computes it."""
    return crc32(data)
