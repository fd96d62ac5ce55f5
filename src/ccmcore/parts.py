"""Compose one part of a job: its records in, a part file and its manifest rows out.

This is the one function every way of running a job goes through: the local job (one
process or ``workers=N``), and the batch-framework bindings, which call it per partition.
A part is composed whole by one process; its output does not depend on which process,
nor on how many run, nor on what the other parts hold:

- pages are encoded with the job's resources (:class:`~ccmcore.display.JobResources`),
  so fonts, images and overlays have the same numbers in every part;
- what depends on the documents before it (a PDF object number, an AFP page name, the
  running sheet number of an OMR sequence or a ``{job_sheet}`` barcode) is left to the
  merge, which knows the order: a part records where those go.

The part's manifest rows say, per record, whether it was rendered or rejected (with the
fields and reasons), its key, pages, sheets and messages; the merge adds where each
document landed in the print file and its checksum.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa

from .arrow_values import from_numpy, optional_strings, string_lists, strings
from .barcode_layout import JobSheets, add_barcodes
from .display import DisplayList, JobResources, pages_kept, rebuild
from .errors import TemplateError
from .partfile import read_part_file, write_part_file
from .program import (
    R_TEXT_OVERFLOW,
    W_OVERLONG_WORD,
    W_ROW_SPLIT,
    W_TEXT_CUT,
    W_TEXT_SHRUNK,
    Program,
    Rejection,
)

__all__ = ["PartJob", "Part", "compose_part", "save_part", "load_part", "lay_out", "MANIFEST_PART_SCHEMA"]

#: the manifest columns a part knows (the merge adds where each document landed)
MANIFEST_PART_SCHEMA = pa.schema(
    [
        ("record", pa.int64()),
        ("key", pa.string()),
        ("status", pa.string()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("part", pa.int32()),
        ("pages", pa.int32()),
        ("sheets", pa.int32()),
        ("messages", pa.list_(pa.string())),
        ("warnings", pa.list_(pa.string())),
        ("index", pa.map_(pa.string(), pa.string())),
    ]
)


_NOT_SENDABLE = (
    "this document cannot be sent to another process: define it at the top level of a template "
    "file or module (ccm loads 'template.py:document'), so the process can load it from there"
)


@dataclass
class PartJob:
    """What every part of a job shares: the compiled template and how to write it.

    A picklable value: what is sent is where the template is defined (its file and name),
    the data's schema and the options, a few hundred bytes; a process that receives it
    compiles the template once and keeps it for every later part. A document made where
    no file defines it (in a notebook) cannot be sent; :meth:`__reduce__` says so.

    Attributes:
        program: the template compiled against the data's schema.
        format: "pdf" or "afp".
        afp: :class:`ccmcore.afp.AfpOptions` or None.
        key: the key column naming records (None: none).
        control_totals: money or number columns summed over rendered and rejected records.
        duplex: the duplex setting the job overrode the document's with (None: as it is).
        pdf: :class:`ccmcore.pdf.PdfOptions` or None.
        resources: the job's resources (made from the program).
    """

    program: Program
    format: str
    afp: Any = None
    key: str | None = None
    control_totals: tuple = ()
    duplex: bool | None = None
    pdf: Any = None
    resources: JobResources = field(init=False)

    @classmethod
    def compile(
        cls, document, schema, format: str, *, afp=None, key=None, control_totals=(), duplex=None, pdf=None
    ) -> PartJob:
        """Compile a document against the data's schema (every binding check happens here).

        Raises:
            BindingError, TemplateError: as :func:`ccmcore.compose` says; TemplateError
                also for what the PDF standard asked for forbids.
        """
        from .job import with_duplex
        from .resources import home_of, relative_to

        given = document
        document = with_duplex(document, duplex)
        with relative_to(home_of(document)):  # pictures and fonts beside the template file it came from
            program = Program(document, schema)
        program.doc_given = given
        if program.einvoice is not None:
            pdf = _einvoice_pdf(format, pdf)
        if pdf is not None and pdf.standard is not None:
            _check_standard(program, pdf.standard)
        if pdf is not None and getattr(pdf, "lang_column", None) is not None:
            program.record_checks.append(_language_check(pdf.lang_column, schema))
        return cls(program, format, afp, key, tuple(control_totals), duplex, pdf)

    def __reduce__(self):
        ref = self._ref()
        args = (ref, self.program.source_schema, self.format, self.afp, self.key, self.control_totals, self.duplex)
        return (compiled_job, (*args, self.pdf))

    def _ref(self) -> tuple[str, str]:
        """(file, attribute) the document is loaded from in another process."""
        ref = self.ref or document_ref(self.program.doc_given)
        if ref is None:
            raise TypeError(_NOT_SENDABLE)
        return ref

    def description(self, *, named: bool = True) -> dict:
        """The job as plain data (JSON): where its template is defined, the data's schema and
        the options. A part file of a distributed run carries it, so the merge compiles the
        same job (see :meth:`from_description`).

        Args:
            named: require the document to be defined in a file (else ``template`` and
                ``document`` are None, and :meth:`from_description` needs the document).

        Raises:
            TypeError: the document is not defined at the top level of a file or module.
        """
        import base64
        import dataclasses

        ref = self._ref() if named else (self.ref or document_ref(self.program.doc_given) or (None, None))
        return {
            "template": ref[0],
            "document": ref[1],
            "schema": base64.b64encode(self.program.source_schema.serialize().to_pybytes()).decode("ascii"),
            "format": self.format,
            "afp": None if self.afp is None else dataclasses.asdict(self.afp),
            "key": self.key,
            "control_totals": list(self.control_totals),
            "duplex": self.duplex,
            "pdf": None if self.pdf is None else dataclasses.asdict(self.pdf),
        }

    @staticmethod
    def from_description(d: dict, document=None) -> PartJob:
        """The job a :meth:`description` stands for, compiled once per process (``document``
        given: that one instead of the one its template file defines)."""
        import base64

        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(d["schema"])))
        afp = None
        if d.get("afp") is not None:
            from .afp import AfpOptions
            from .afp.fonts import CodedFont

            opts = dict(d["afp"])
            if opts.get("coded_fonts"):
                opts["coded_fonts"] = {k: CodedFont(**v) for k, v in opts["coded_fonts"].items()}
            afp = AfpOptions(**opts)
        pdf = None
        if d.get("pdf") is not None:
            from .pdf.options import PdfOptions

            pdf = PdfOptions(**d["pdf"])
        args = (d["format"], afp, d["key"], tuple(d["control_totals"]), d["duplex"])
        if document is not None:
            return PartJob.compile(
                document, schema, args[0], afp=afp, key=args[2], control_totals=args[3], duplex=args[4], pdf=pdf
            )
        return compiled_job((d["template"], d["document"]), schema, *args, pdf)

    def __post_init__(self):
        p = self.program
        self.resources = JobResources.of(p.fonts, p.images, p.overlays)
        self._encoder = None
        self.lock = threading.Lock()
        self.ref: tuple[str, str] | None = None  # where it was loaded from, when it came from another process
        coded = getattr(self.afp, "coded_fonts", None) if self.format == "afp" else None
        if coded:  # what a printer font cannot show is a rejection when binding, before layout
            p.use_device({name: cf.encoding for name, cf in coded.items()})

    def structure(self):
        """For a tagged PDF (a standard with PDF/UA), the template's structure information
        (:class:`ccmcore.pdf.structure.Structure`); None otherwise."""
        standard = getattr(self.pdf, "standard", None)
        if self.format != "pdf" or standard is None or "pdfua" not in standard:
            return None
        from .pdf.structure import Structure

        return Structure.of(self.program, self.pdf.lang)

    def encoder(self):
        """The encoder of this process (made once: its font tables are per job)."""
        if self._encoder is None:
            if self.format == "afp":
                from .afp.writer import AfpWriter

                self._encoder = AfpWriter(None, options=self.afp, resources=self.resources)
            else:
                from .pdf.writer import PdfEncoder

                self._encoder = PdfEncoder(self.resources, structure=self.structure())
        return self._encoder


@dataclass
class Part:
    """One composed part: its encoded pages, manifest rows and what the report needs."""

    index: int
    record0: int
    records: int
    pages: Any  # PdfPages or AfpPages
    manifest: pa.Table
    rejected: list = field(default_factory=list)  # Rejection
    warnings: list = field(default_factory=list)  # (record, element, message)
    messages: list = field(default_factory=list)  # (record, message name)
    totals: dict = field(default_factory=dict)  # column -> [rendered sum, rejected sum]
    stamps: list = field(default_factory=list)  # [page in part, barcode, text or None]
    checksum: str = ""
    reused: bool = False
    job: dict | None = None  # the job's description, in the part file of a distributed run
    einvoice: Any = None  # with an e-invoice: per record its CII XML, deflated (einvoice.files.packed)


def document_ref(document) -> tuple[str, str] | None:
    """(file, attribute) of the module that defines ``document`` at its top level, or None.

    A script run as ``__main__`` is never named, even when it imported the document: loading
    it elsewhere would run the whole script again. Where several modules hold the document
    (one imported it from another), the one in the template's own folder is named.
    """
    import sys
    from pathlib import Path

    from .resources import home_of

    home = home_of(document)
    found = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name == "__main__" or not file or not file.endswith(".py"):
            continue
        for attr, value in list(vars(module).items()):
            if value is document:
                found.append((file, attr))
    if not found:
        return None
    at_home = [f for f in found if home is not None and Path(f[0]).resolve().parent == Path(home).resolve()]
    return (at_home or found)[0]


# one compiled job per thread: a job's kernel and encoder keep their working buffers in
# themselves, so two threads (Dask's threaded scheduler) each need their own
_COMPILED = threading.local()


def _einvoice_pdf(format: str, pdf):
    """The PDF options of an e-invoice job: PDF/A-3b, the part that lets a PDF/A file carry
    its XML, unless the options ask for another part."""
    from .pdf.options import PdfOptions

    if format != "pdf":
        raise TemplateError("the document is an e-invoice (Document.einvoice): it is written as PDF/A-3, not AFP")
    if pdf is None or pdf.standard is None:
        return PdfOptions(standard="pdfa-3b") if pdf is None else replace(pdf, standard="pdfa-3b")
    if pdf.standard == "pdfa-3b+pdfua-1" or pdf.standard == "pdfua-1":
        raise TemplateError(
            f"the document is an e-invoice: its files are PDF/A-3b, not tagged; {pdf.standard} is not made "
            "for e-invoices yet: leave the PDF standard out or give pdfa-3b"
        )
    if pdf.standard != "pdfa-3b":
        raise TemplateError(
            f"the document is an e-invoice: PDF/A-3 (pdfa-3b) carries its XML, {pdf.standard} cannot; "
            "leave the PDF standard out or give pdfa-3b"
        )
    return pdf


#: a BCP 47 language tag, as PDF /Lang entries take them (RE2 syntax)
LANGUAGE_TAG = r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$"
#: the bytes a document's language tag may take in encoded pages
LANG_BYTES = 16


def _language_check(column: str, schema):
    """The check that rejects a record whose language column holds no language tag."""
    import pyarrow.compute as pc

    from .errors import BindingError

    if column not in schema.names:
        raise BindingError(
            f"lang_column {column!r} is not a column of the data (columns: {', '.join(schema.names)})", column=column
        )
    t = schema.field(column).type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        raise BindingError(f"lang_column {column!r} holds {t}; it needs language tags as text", column=column)

    def check(batch) -> dict:
        values = batch.column(column)
        ok = pc.fill_null(pc.match_substring_regex(values, LANGUAGE_TAG), False)
        ok = pc.and_(ok, pc.less_equal(pc.binary_length(values), LANG_BYTES))
        bad = np.flatnonzero(~np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool))
        texts = values.take(pa.array(bad)).to_pylist() if len(bad) else []
        return {
            int(d): (column, f"the language {v!r} is not a language tag (en, de-DE, fr-CH) for a tagged PDF")
            for d, v in zip(bad.tolist(), texts)
        }

    return check


def _languages(pages, job, batch, record0: int):
    """The encoded pages with each document's language tag from the job's language column."""
    column = getattr(job.pdf, "lang_column", None)
    if column is None or job.format != "pdf":
        return pages
    rows = np.asarray(pages.records, dtype=np.int64) - record0
    values = batch.column(column).take(pa.array(rows)).to_pylist()
    langs = np.zeros((len(rows), LANG_BYTES), np.uint8)
    for k, v in enumerate(values):
        raw = v.encode("ascii")
        langs[k, : len(raw)] = np.frombuffer(raw, np.uint8)
    return pages._replace(langs=langs)


def _check_standard(program: Program, standard: str) -> None:
    """Stop a job whose template draws what its PDF standard forbids.

    Raises:
        TemplateError: naming the first such thing.
    """
    from .errors import TemplateError
    from .pdf.pdfa import pdf_standard

    found = pdf_standard(standard)
    if found is None or found.part is None:  # PDF/UA alone sets no output intent
        return
    for image in program.images:
        if image.mode == "CMYK":
            raise TemplateError(
                f"the template draws the CMYK image {image.name!r}, and {standard} does not allow DeviceCMYK "
                "colour under its sRGB output intent: give the image in RGB or grey"
            )


def compiled_job(ref, schema, format, afp, key, control_totals, duplex, pdf=None) -> PartJob:
    """The job a pickled :class:`PartJob` stands for, compiled once per process."""
    cache_key = (ref, schema.serialize().to_pybytes(), format, repr(afp), key, control_totals, duplex, repr(pdf))
    compiled = _COMPILED.__dict__.setdefault("jobs", {})
    job = compiled.get(cache_key)
    if job is None:
        from .cli import load_document

        document = load_document(f"{ref[0]}:{ref[1]}")
        job = PartJob.compile(
            document, schema, format, afp=afp, key=key, control_totals=control_totals, duplex=duplex, pdf=pdf
        )
        job.ref = tuple(ref)
        compiled[cache_key] = job
    return job


def _warning_text(code: int, detail: int) -> str:
    if code == W_OVERLONG_WORD:
        return "a word wider than its line was broken between characters"
    if code == W_ROW_SPLIT:
        return "a table row taller than a page was split across pages"
    if code == W_TEXT_SHRUNK:
        return f"the text was set at {detail / 1000:g}pt to fit its box"
    if code == W_TEXT_CUT:
        return f"the text needed {detail} lines; it was cut to fit its box (ending in '…')"
    return f"layout warning {code} ({detail})"


def _rejection_text(program: Program, element: int, code: int, detail: int) -> str:
    if code == R_TEXT_OVERFLOW:
        fields = program.text_fields.get(element)
        shown = f" (fields: {fields})" if fields else ""
        return (
            f"the text{shown} needs {detail} lines, more than its box holds; give the Text a larger box "
            "or overflow='cut' or 'shrink'"
        )
    return f"layout rejection {code} ({detail})"


def lay_out(program: Program, batch: pa.RecordBatch, record0: int, sheets: JobSheets | None = None):
    """Bind and lay out one batch: (display list, bound batch, stamps).

    ``sheets`` given: every barcode is drawn, the job's running sheet number counted in
    it (one process composing the whole job in order, as :func:`ccmcore.job.layout`
    does). None: barcodes that need the running sheet number are left as stamps
    ([page row, barcode, text]) for the merge.
    """
    bound = program.bind(batch, record0)
    res = program.kernel.layout(bound.sources, bound.lists, bound.masks, bound.pool, bound.reject, record0, bound.sums)
    rows = (res["docs"][:, 0] - record0).tolist()
    warnings = res["warnings"]
    if len(warnings) > 1:  # a fixed text repeated on every page warns once per document
        _, first = np.unique(warnings, axis=0, return_index=True)
        warnings = warnings[np.sort(first)]
    rejects = warnings[:, 2] >= R_TEXT_OVERFLOW
    if rejects.any():  # documents the kernel left out while writing their pages
        bound.rejections.extend(
            Rejection(record0 + int(doc), program.labels[element], _rejection_text(program, element, code, detail))
            for doc, element, code, detail in warnings[rejects].tolist()
        )
        warnings = warnings[~rejects]
    dl = DisplayList.from_layout(
        res,
        fonts=program.fonts,
        templates=program.template_names,
        media=program.media,
        warnings=warnings,
        tags={tag: [values[r] for r in rows] for tag, values in bound.tags.items()},
        images=program.images,
        overlays=program.overlays,
    )
    dl.messages = [(record0 + int(d), program.message_names[int(m)]) for d, m in res["messages"]]
    dl, rejected, stamps = add_barcodes(dl, program, bound, record0, sheets)
    bound.rejections.extend(rejected)
    return dl, bound, stamps


def compose_part(job: PartJob, index: int, record0: int, batches: Iterable[pa.RecordBatch]) -> Part:
    """Compose the records of one part (record numbers from ``record0``).

    Returns:
        the :class:`Part`: encoded pages, manifest rows, rejections, warnings, messages,
        control totals and the stamps the merge draws.
    """
    with job.lock:  # a job's kernel and encoder hold one part's work at a time
        return _compose_part(job, index, record0, batches)


def _compose_part(job: PartJob, index: int, record0: int, batches: Iterable[pa.RecordBatch]) -> Part:
    program = job.program
    enc = job.encoder()
    encoded = []
    rejected: list[Rejection] = []
    warnings: list = []
    messages: list = []
    stamps: list = []
    manifests = []
    xml = []
    totals = {c: [0, 0] for c in job.control_totals}
    r0 = record0
    page0 = 0
    for batch in batches:
        n = batch.num_rows
        dl, bound, st = lay_out(program, batch, r0, None)
        if job.format == "afp":
            # a character a printer-resident coded font cannot show rejects its record
            bad = enc.unencodable(dl)
            if bad:
                bound.rejections.extend(Rejection(int(dl.docs[d][0]), "text", msg) for d, msg in sorted(bad.items()))
                new_row = pages_kept(dl, bad)
                st = [[new_row[p], b, t] for p, b, t in st if p in new_row]
                dl = rebuild(dl, None, set(bad))
        pages = _languages(enc.encode(dl, trusted=True), job, batch, r0)
        encoded.append(pages)
        for record, n_items in getattr(pages, "degraded", np.zeros((0, 2), np.int64)).tolist():
            # what the device had to leave out is said on the record, not dropped unseen
            warnings.append(
                (
                    record,
                    "line",
                    f"{n_items} diagonal line{'s' if n_items != 1 else ''} left out: AFP draws "
                    "horizontal and vertical rules only",
                )
            )
        stamps.extend([page0 + p, b, t] for p, b, t in st)
        page0 += dl.page_count
        named = _name_rejections(bound.rejections, batch, r0, job.key)
        rejected.extend(named)
        messages.extend(dl.messages)
        for doc, element, code, detail in dl.warnings.tolist():
            # the kernel numbers documents by their row in the batch
            warnings.append((r0 + doc, program.labels[element], _warning_text(code, detail)))
        manifests.append(_manifest_rows(job, index, batch, bound, r0, dl, named, dl.messages, warnings, totals))
        if bound.einvoice is not None:
            from .einvoice.files import packed

            xml.append(packed(bound.einvoice))
        r0 += n
    pages = _concat(encoded, job.format)
    manifest = pa.Table.from_batches(manifests, MANIFEST_PART_SCHEMA)
    part = Part(index, record0, r0 - record0, pages, manifest, rejected, warnings, messages, totals, stamps)
    if program.einvoice is not None:
        from .einvoice.files import PACKED_SCHEMA

        part.einvoice = pa.concat_tables(xml) if xml else PACKED_SCHEMA.empty_table()
    return part


def _name_rejections(rejections: list[Rejection], batch: pa.RecordBatch, record0: int, key: str | None) -> list:
    """The batch's rejections in record order, each named by its key (only rejected rows are read)."""
    rejections = sorted(rejections, key=lambda r: r.record)
    if key is not None and rejections:
        column = batch.column(key)
        for r in rejections:
            value = column[r.record - record0].as_py()
            r.key = None if value is None else str(value)
    return rejections


def _manifest_rows(job: PartJob, index, batch, bound, record0, dl, rejected, messages, warnings, totals):
    """One manifest row per record of the batch (rendered or rejected)."""
    n = batch.num_rows
    duplex = job.program.duplex
    pages = np.zeros(n, dtype=np.int32)
    docs = np.asarray(dl.docs, dtype=np.int64).reshape(-1, 3)
    rendered = np.zeros(n, dtype=bool)
    if len(docs):
        rows = docs[:, 0] - record0
        pages[rows] = docs[:, 2]
        rendered[rows] = True
    sheets = (pages + 1) // 2 if duplex else pages.copy()
    fields: dict[int, list] = {}
    for r in rejected:
        fields.setdefault(r.record - record0, []).append(r)
    field_col: list = [None] * n
    reason_col: list = [None] * n
    for row, rs in fields.items():
        rendered[row] = False
        pages[row] = 0
        sheets[row] = 0
        names = list(dict.fromkeys(r.field for r in rs if r.field))
        field_col[row] = ", ".join(names) if names else ""
        reason_col[row] = "; ".join(dict.fromkeys(r.reason for r in rs))
    msg_col: list = [[] for _ in range(n)]
    for rec, name in messages:
        msg_col[rec - record0].append(name)
    warn_col: list = [[] for _ in range(n)]
    for rec, element, text in warnings:
        if record0 <= rec < record0 + n:
            warn_col[rec - record0].append(f"{element}: {text}")
    index_map = _index_map(bound.tag_columns, n, rendered)
    if job.key is not None:
        key = batch.column(job.key).cast(pa.string())
    else:
        key = pa.nulls(n, pa.string())
    for c, sums in totals.items():
        col = batch.column(c)
        sums[0] += _sum(col, rendered)
        sums[1] += _sum(col, ~rendered)
    return pa.RecordBatch.from_arrays(
        [
            from_numpy(np.arange(record0, record0 + n, dtype=np.int64)),
            key,
            _STATUS.take(from_numpy(rendered.astype(np.int8))),
            optional_strings(field_col),
            optional_strings(reason_col),
            from_numpy(np.full(n, index, dtype=np.int32)),
            from_numpy(pages),
            from_numpy(sheets.astype(np.int32)),
            string_lists(msg_col),
            string_lists(warn_col),
            index_map,
        ],
        schema=MANIFEST_PART_SCHEMA,
    )


#: status by whether the record was rendered
_STATUS = strings(["rejected", "rendered"])


def _index_map(tag_columns: dict, n: int, rendered: np.ndarray) -> pa.MapArray:
    """Per record its index values (the template's tags), empty for a rejected one; built
    with array operations from the bound batch's tag columns."""
    names = list(tag_columns)
    k = len(names)
    rows = np.flatnonzero(rendered) if k else np.zeros(0, np.int64)
    counts = np.zeros(n, dtype=np.int32)
    counts[rows] = k
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    if not len(rows):
        empty = strings([])
        return pa.MapArray.from_arrays(from_numpy(offsets), empty, empty)
    m = len(rows)
    picked = from_numpy(rows)
    columns = [tag_columns[name].take(picked) for name in names]
    # record by record, tag by tag: value j of record i is entry j * m + i of the columns joined
    order = (np.arange(k)[None, :] * m + np.arange(m)[:, None]).reshape(-1)
    values = pa.concat_arrays(columns).take(from_numpy(order))
    keys = strings(names).take(from_numpy(np.tile(np.arange(k), m)))
    return pa.MapArray.from_arrays(from_numpy(offsets), keys, values)


def _sum(col: pa.Array, mask: np.ndarray):
    """Exact sum of the column over the rows of mask (ints as int, decimals as Decimal)."""
    import pyarrow.compute as pc

    picked = col.filter(from_numpy(mask))
    total = pc.sum(picked).as_py()
    return 0 if total is None else total


def _concat(encoded: list, format: str):
    """One encoded-pages value of a part's batches, in order."""
    if format == "afp":
        from .afp.writer import AfpPages as T
    else:
        from .pdf.writer import PdfPages as T  # type: ignore[assignment]
    if len(encoded) == 1:
        return encoded[0]
    out: dict[str, Any] = {}
    doc_base = np.cumsum([0] + [len(e.records) for e in encoded[:-1]])
    content_base = np.cumsum([0] + [len(e.content) for e in encoded[:-1]])
    page_base = np.cumsum([0] + [len(getattr(e, "sizes", ())) for e in encoded[:-1]])
    node_base = np.cumsum([0] + [len(getattr(e, "nodes", ())) for e in encoded[:-1]])
    for name in T._fields:
        vals = [getattr(e, name) for e in encoded]
        if name == "content":
            out[name] = b"".join(vals)
        elif name == "used":
            used = np.zeros_like(vals[0]) if vals else np.zeros(0, np.uint8)
            for v in vals:
                np.bitwise_or(used, v, out=used)
            out[name] = used
        elif name == "crcs":
            out[name] = np.concatenate([np.asarray(v, dtype=np.uint32) for v in vals])
        elif name == "degraded":
            out[name] = np.concatenate([np.asarray(v).reshape(-1, 2) for v in vals]).astype(np.int64)
        elif name == "uses":
            out[name] = np.concatenate(
                [np.asarray(v).reshape(-1, 3) + np.array([b, 0, 0]) for v, b in zip(vals, doc_base)]
            ).astype(np.int64)
        elif name == "nodes":  # the document rows move with the batch
            out[name] = np.concatenate(
                [np.asarray(v).reshape(-1, 6) + np.array([b, 0, 0, 0, 0, 0]) for v, b in zip(vals, doc_base)]
            ).astype(np.int32)
        elif name == "mcids":  # the page and node rows too
            out[name] = np.concatenate(
                [np.asarray(v).reshape(-1, 3) + np.array([p, 0, n]) for v, p, n in zip(vals, page_base, node_base)]
            ).astype(np.int32)
        elif name == "ends":
            out[name] = np.concatenate([np.asarray(v) + b for v, b in zip(vals, content_base)]).astype(np.int64)
        elif name == "oids":
            out[name] = np.concatenate(
                [np.asarray(v).reshape(-1, 2) + np.array([b, 0]) for v, b in zip(vals, content_base)]
            ).astype(np.int64)
        else:
            out[name] = np.concatenate([np.asarray(v) for v in vals])
    return T(**out)


# ---------------------------------------------------------------------- the part file


def save_part(part: Part, path, fingerprint: str, job: dict | None = None) -> str:
    """Write the part to its file (whole or not at all); returns the file's checksum.

    ``job``: the job's :meth:`PartJob.description`, kept in the file for a merge that
    starts from the part files alone."""
    pages = part.pages
    arrays = {f"pages.{k}": v for k, v in pages._asdict().items() if k != "content"}
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, part.manifest.schema) as w:
        w.write_table(part.manifest)
    header = {
        "fingerprint": fingerprint,
        "index": part.index,
        "record0": part.record0,
        "records": part.records,
        "kind": type(pages).__name__,
        "rejected": [[r.record, r.field, r.reason, r.key] for r in part.rejected],
        "warnings": part.warnings,
        "messages": part.messages,
        "totals": {c: [str(a), str(b)] for c, (a, b) in part.totals.items()},
        "stamps": part.stamps,
    }
    if job is not None:
        header["job"] = job
    blobs = {"pages.content": pages.content, "manifest": sink.getvalue()}
    if part.einvoice is not None:
        blobs["einvoice"] = _ipc(part.einvoice)
    return write_part_file(path, header, arrays, blobs)


def _ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


def load_part(path, format: str | None, mapped: bool = False) -> tuple[Part, str]:
    """Read a part file back: (the part, the job fingerprint it was made for); ``format``
    None: whichever the file holds.

    Raises:
        PartFileError: the file is incomplete or damaged.
    """
    from decimal import Decimal

    header, arrays, blobs, digest = read_part_file(path, mapped)
    if format is None:
        format = "afp" if header["kind"] == "AfpPages" else "pdf"
    if format == "afp":
        from .afp.writer import AfpPages as T
    else:
        from .pdf.writer import PdfPages as T  # type: ignore[assignment]
    if header["kind"] != T.__name__:
        from .partfile import PartFileError

        raise PartFileError(f"{path}: a part of another format")
    fields = {k: arrays[f"pages.{k}"] for k in T._fields if k != "content"}
    pages = T(content=blobs["pages.content"], **fields)
    manifest = pa.ipc.open_stream(bytes(blobs["manifest"])).read_all()

    def number(s: str):
        return int(s) if s.lstrip("-").isdigit() else Decimal(s)

    part = Part(
        header["index"],
        header["record0"],
        header["records"],
        pages,
        manifest,
        [Rejection(rec, f, reason, key) for rec, f, reason, key in header["rejected"]],
        [tuple(w) for w in header["warnings"]],
        [tuple(m) for m in header["messages"]],
        {c: [number(a), number(b)] for c, (a, b) in header["totals"].items()},
        header["stamps"],
        digest,
        job=header.get("job"),
    )
    if "einvoice" in blobs:
        part.einvoice = pa.ipc.open_stream(blobs["einvoice"]).read_all()
    return part, header["fingerprint"]
