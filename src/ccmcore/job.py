"""Run a composition job: data in, a finished print file out, and a report of every record.

    report = compose(document, "invoices.parquet", "invoices.pdf")
    print(report.summary())

The template is checked against the data's schema before the output file is created; the
output is written under a temporary name and renamed only when complete, so an interrupted
job never leaves a file that looks finished. Every input record ends up either rendered or
listed in ``report.rejected`` with its record number, field and reason.

A job with no document to write (no records, or every record rejected) writes no print
file at all: a PDF or AFP file without pages is one readers and print servers refuse.
:func:`compose` raises :class:`~ccmcore.errors.EmptyJobError` carrying the report (with
the rejections), and ``ccm compose`` says so in one line and exits with status 3.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .barcode_layout import JobSheets, add_barcodes
from .display import DisplayList, rebuild
from .errors import EmptyJobError
from .program import (
    R_TEXT_OVERFLOW,
    W_OVERLONG_WORD,
    W_ROW_SPLIT,
    W_TEXT_CUT,
    W_TEXT_SHRUNK,
    Program,
    Rejection,
)
from .sources import open_source
from .template import Document

__all__ = ["compose", "layout", "JobReport", "Warning_"]

FORMATS = ("pdf", "afp")


@dataclass
class Warning_:
    """Something rendered, but not as the template intended (an overlong word broken, ...)."""

    record: int
    element: str
    message: str

    def __str__(self) -> str:
        return f"record {self.record}, {self.element}: {self.message}"


@dataclass
class JobReport:
    """What a job did.

    Attributes:
        output: path of the finished file.
        records: records read.
        documents: documents rendered.
        pages: pages written.
        seconds: wall time of the job.
        rejected: records left out, each with field and reason.
        warnings: rendered records with something worth a look.
        messages: (record, message name) for every message placed.
    """

    output: str
    format: str
    records: int = 0
    documents: int = 0
    pages: int = 0
    seconds: float = 0.0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    messages: list[tuple[int, str]] = field(default_factory=list)

    def message_counts(self) -> dict[str, int]:
        """How many documents got each message."""
        counts: dict[str, int] = {}
        for _, name in self.messages:
            counts[name] = counts.get(name, 0) + 1
        return counts

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: documents, pages, time, throughput, rejections."""
        line = (
            f"{self.documents} documents, {self.pages} pages in {self.seconds:.2f} s "
            f"({self.pages_per_second:,.0f} pages/s) -> {self.output}"
        )
        if self.rejected:
            line += f"; {len(self.rejected)} rejected"
        if self.warnings:
            line += f"; {len(self.warnings)} warnings"
        return line

    def to_dict(self) -> dict:
        return {
            "output": self.output,
            "format": self.format,
            "records": self.records,
            "documents": self.documents,
            "pages": self.pages,
            "seconds": round(self.seconds, 3),
            "rejected": [vars(r) for r in self.rejected],
            "warnings": [vars(w) for w in self.warnings],
            "messages": {
                "counts": self.message_counts(),
                "placed": [{"record": r, "message": m} for r, m in self.messages],
            },
        }

    def write_json(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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


def _nothing_to_write(report: JobReport) -> str:
    if report.records == 0:
        return "no documents to write: the data has no records; no print file was written"
    return f"no documents to write: all {report.records:,} records were rejected; no print file was written"


def _writer(format: str, fh, *, title, afp):
    """The device backend for a format (imported on demand: a PDF job never loads AFP code)."""
    if format == "afp":
        from .afp import AfpWriter

        return AfpWriter(fh, options=afp)
    if afp is not None:
        raise ValueError("afp options were given for a PDF job")
    from .pdf import PdfWriter

    return PdfWriter(fh, title=title)


def layout(document: Document, data, *, batch_size: int = 1024, columns=None):
    """Lay out documents without writing a device file: yields (DisplayList, Bound) per batch.

    For tests, previews and custom backends. Raises what :func:`compose` raises.
    """
    source = open_source(data, batch_size=batch_size, columns=columns)
    program = Program(document, source.schema)
    yield from _batches(program, source)


def _batches(program: Program, source):
    record0 = 0
    sheets = JobSheets()
    for batch in source:
        bound = program.bind(batch, record0)
        res = program.kernel.layout(
            bound.sources, bound.lists, bound.masks, bound.pool, bound.reject, record0, bound.sums
        )
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
            medium_maps=program.medium_maps,
            warnings=warnings,
            tags={tag: [values[r] for r in rows] for tag, values in bound.tags.items()},
            images=program.images,
            overlays=program.overlays,
        )
        dl.messages = [(record0 + int(d), program.message_names[int(m)]) for d, m in res["messages"]]
        dl, rejected = add_barcodes(dl, program, bound, record0, sheets)
        bound.rejections.extend(rejected)
        yield dl, bound, batch.num_rows
        record0 += batch.num_rows


def compose(
    document: Document,
    data,
    output: str | os.PathLike,
    *,
    format: str = "pdf",
    batch_size: int = 1024,
    progress: Callable[[int, int, int | None], None] | None = None,
    title: str | None = None,
    afp=None,
) -> JobReport:
    """Compose every record of data into one output file.

    Args:
        document: the document definition.
        data: any Arrow source: a pyarrow Table/RecordBatch/RecordBatchReader/Dataset, a
            Parquet, Arrow IPC or CSV path, or an object with ``__arrow_c_stream__``
            (polars, DuckDB, ...).
        output: the file to write.
        format: "pdf" or "afp" (MO:DCA-P print file).
        batch_size: records per batch (memory grows with it, not with the job).
        progress: called after each batch with (records done, pages done, total records or None).
        title: document title for the file's metadata (PDF).
        afp: :class:`ccmcore.afp.AfpOptions` for AFP output (duplex, form definition,
            printer-resident coded fonts); None for the defaults.

    Returns:
        a :class:`JobReport`.

    Raises:
        BindingError: the template does not fit the data (nothing is written).
        EmptyJobError: no document to write, because the data has no records or every record
            was rejected (nothing is written; ``error.report`` lists the rejections).
        SourceError: the data cannot be read.
        ValueError: an unknown format.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown output format {format!r} (choose from {', '.join(FORMATS)})")
    t0 = time.perf_counter()
    source = open_source(data, batch_size=batch_size)
    program = Program(document, source.schema)  # every binding check happens here
    out = Path(output)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    report = JobReport(output=str(out), format=format)
    total = getattr(source, "num_rows", None)

    try:
        with open(tmp, "wb") as fh, _writer(format, fh, title=title, afp=afp) as writer:
            for dl, bound, nrows in _batches(program, source):
                if format == "afp":
                    # a character a printer-resident coded font cannot show rejects its record
                    bad = writer.unencodable(dl)
                    if bad:
                        bound.rejections.extend(
                            Rejection(int(dl.docs[d][0]), "text", msg) for d, msg in sorted(bad.items())
                        )
                        dl = rebuild(dl, None, set(bad))
                writer.write(dl)
                record0 = report.records
                report.records += nrows
                report.documents += dl.doc_count
                report.pages += dl.page_count
                report.rejected.extend(bound.rejections)
                report.messages.extend(dl.messages)
                for doc, element, code, detail in dl.warnings.tolist():
                    # the kernel numbers documents by their row in the batch
                    report.warnings.append(
                        Warning_(record0 + doc, program.labels[element], _warning_text(code, detail))
                    )
                if progress is not None:
                    progress(report.records, report.pages, total)
            if report.documents == 0:
                raise EmptyJobError(_nothing_to_write(report), report)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    report.seconds = time.perf_counter() - t0
    return report
